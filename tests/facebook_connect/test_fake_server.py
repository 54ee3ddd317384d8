"""The fake Graph server is a development package (fakegraph): `manage.py
facebook_fake_server` serves it in a checkout, and the Docker image, which leaves the
package out, still passes `manage.py check` and simply has no such command."""

import shutil
import socket
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path

import pytest

from facebook_connect.graph import GraphClient
from fakegraph.server import APP_ID, APP_SECRET
from tests.core.test_settings import ROOT, manage, production_env

pytestmark = pytest.mark.slow  # each test starts Python processes with Django


def image_files(root: Path) -> list[str]:
    """The files `COPY . .` puts in the image: the checkout's files (git's view: tracked and
    untracked but not ignored) less what .dockerignore excludes. Patterns are matched like
    Docker's for the shapes that file uses (names, `dir`, `**/name`, `*.ext`, `!negation`);
    the last matching pattern decides."""
    patterns = [
        line.strip()
        for line in (root / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()

    def excluded(path: str) -> bool:
        verdict = False
        for pattern in patterns:
            keep = pattern.startswith("!")
            pattern = pattern.removeprefix("!").rstrip("/")
            shapes = [pattern, f"{pattern}/*"]
            if pattern.startswith("**/"):
                shapes += [pattern[3:], f"{pattern[3:]}/*"]
            if any(fnmatch(path, shape) for shape in shapes):
                verdict = not keep
        return verdict

    return [path for path in listed if (root / path).is_file() and not excluded(path)]


@pytest.fixture(scope="module")
def image_tree(tmp_path_factory) -> Path:
    tree = tmp_path_factory.mktemp("image")
    for path in image_files(ROOT):
        (tree / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, tree / path)
    return tree


def test_the_image_leaves_the_fake_server_out(image_tree):
    assert (image_tree / "manage.py").exists() and (image_tree / "facebook_connect").is_dir()
    assert not (image_tree / "fakegraph").exists()


@pytest.mark.parametrize("debug", ["true", "false"])
def test_the_image_passes_check_without_the_fake_server(image_tree, debug):
    env = production_env() if debug == "false" else {"DJANGO_DEBUG": "true"}

    check = manage("check", cwd=image_tree, **env)
    command = manage("facebook_fake_server", "--help", cwd=image_tree, **env)

    assert check.returncode == 0, check.stdout + check.stderr
    assert "no issues" in check.stdout
    assert command.returncode != 0
    assert "Unknown command: 'facebook_fake_server'" in command.stderr


def test_the_command_serves_the_fake_graph_api_in_a_checkout():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "manage.py", "facebook_fake_server", "--port", str(port)],
        cwd=ROOT,
        env={
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(Path.home()),
            "DJANGO_DEBUG": "true",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first_line = server.stdout.readline()  # printed once the socket listens
        assert first_line == f"Fake Graph API on http://127.0.0.1:{port}\n", server.stderr
        client = GraphClient(
            app_id=APP_ID,
            app_secret=APP_SECRET,
            graph_url=f"http://127.0.0.1:{port}",
            version="v21.0",
            timeout=5,
        )

        profile = client.me("alice")

        assert (profile.facebook_id, profile.email) == ("10001", "alice@example.com")
    finally:
        server.terminate()
        server.communicate(timeout=10)
