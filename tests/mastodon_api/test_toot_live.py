"""The `toot` command line client (from PyPI) against a live server started by the test:
`toot login` with the browser flow (the person's part simulated: log in, allow, paste the
code shown), then `toot post`, `toot timeline` and `toot notifications`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import embedded_server
from tests.mastodon_api.live import base_url, oob_code, pkce_client

embedded_database = embedded_server.embedded_database
start_server = embedded_server.start_server

pytestmark = pytest.mark.slow

TOOT = str(Path(sys.executable).parent / "toot")


def test_toot_logs_in_posts_and_reads(start_server, tmp_path):
    server = start_server()
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "NO_COLOR": "1", "TERM": "dumb"}
    login = subprocess.Popen(
        [TOOT, "login", "--instance", base_url(server)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    url = None
    while url is None:
        line = login.stdout.readline()
        assert line, "toot exited before printing the login URL"
        if "/oauth/authorize" in line:
            url = line.strip()
    code = oob_code(url, "carol")
    output, _ = login.communicate(f"n\n{code}\n", timeout=60)
    assert login.returncode == 0, output
    assert "Successfully logged in" in output

    def toot(*args: str) -> str:
        result = subprocess.run(
            [TOOT, *args], capture_output=True, text=True, env=env, timeout=60, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    assert "Toot posted" in toot("post", "Hello from toot #cli")
    assert "Hello from toot" in toot("timeline", "--once")

    alice = pkce_client(server, "alice", "Alice's app")
    carol = alice.account_lookup("carol")
    mine = [s for s in alice.account_statuses(carol["id"]) if "toot" in s["content"]]
    alice.status_favourite(mine[0]["id"])
    assert "alice" in toot("notifications")
