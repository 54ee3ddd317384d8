"""Chirp served the way `make run` serves it, for tests about the whole process (its logs,
its periodic work): `manage.py migrate`, `manage.py seed_demo`, then
`daphne -b 127.0.0.1 -p PORT config.asgi:application`, with no DATABASE_URL or REDIS_URL
(SQLite in a temporary folder, in-process cache and channel layer, eager Celery) and the
Makefile's development defaults.

The server's environment is built from scratch (PATH, HOME, what `make run` sets and what
the test adds), so the caller's DATABASE_URL, REDIS_URL or pytest's EMBEDDED_BEAT=false
never leak in. Its stdout and stderr go to one file, read by `server.log()`.

Use in a test module: `embedded_database = embedded_server.embedded_database` and
`start_server = embedded_server.start_server`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import die_with_parent, wait_until
from tests.integration.realtime_fixtures import free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
READY_TIMEOUT = 90
STOP_TIMEOUT = 20
# What `make run` exports (Makefile), on top of an empty environment.
MAKE_RUN_ENV = {"DJANGO_DEBUG": "true", "DJANGO_SECURE_SSL_REDIRECT": "false"}


def embedded_env(database: Path, media: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": str(Path.home()),
        **MAKE_RUN_ENV,
        "DATABASE_URL": f"sqlite:///{database}",
        "REDIS_URL": "",  # also over a developer's .env: the embedded mode
        "MEDIA_ROOT": str(media),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


@pytest.fixture(scope="session")
def embedded_database(tmp_path_factory) -> Path:
    """A SQLite database migrated and seeded as by `make run`, once per test process; each
    server gets a copy."""
    folder = tmp_path_factory.mktemp("embedded-template")
    database = folder / "db.sqlite3"
    env = embedded_env(database, folder / "media")
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    return database


@dataclass
class EmbeddedServer:
    port: int
    process: subprocess.Popen
    log_path: Path
    _log_file: Any = field(repr=False, default=None)

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def request(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """One HTTP request; (status, JSON body or raw text)."""
        data = json.dumps(body).encode() if body is not None else None
        all_headers = {"Accept": "application/json", **(headers or {})}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(
            f"{self.http}{path}", data=data, headers=all_headers, method=method
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    def login(self, username: str, password: str) -> str:
        status, body = self.request(
            "POST", "/api/v1/auth/login/", {"username": username, "password": password}
        )
        assert status == 200, body
        return body["access"]

    def stop(self) -> int:
        """Ctrl-C, as a developer stops `make run`; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=STOP_TIMEOUT)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return self.process.returncode


@pytest.fixture
def start_server(embedded_database, tmp_path) -> Iterator[Any]:
    """`start_server(**env)`: a daphne process on a copy of the embedded database, with
    `env` added to make run's; every server is stopped after the test."""
    servers: list[EmbeddedServer] = []

    def start(**extra_env: str) -> EmbeddedServer:
        index = len(servers)
        database = tmp_path / f"server-{index}.sqlite3"
        shutil.copyfile(embedded_database, database)
        port = free_port()
        log_path = tmp_path / f"daphne-{port}.log"
        log_file = log_path.open("wb")
        process = subprocess.Popen(
            [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT,
            env=embedded_env(database, tmp_path / f"media-{index}", **extra_env),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        server = EmbeddedServer(port, process, log_path, log_file)
        servers.append(server)

        def ready() -> bool:
            if process.poll() is not None:
                pytest.fail(f"daphne exited early:\n{server.log()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{server.http}/healthz", timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_until(ready, READY_TIMEOUT, 0.1, "daphne to answer /healthz")
        return server

    yield start
    for server in servers:
        server.stop()
