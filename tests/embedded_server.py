"""Chirp served the way `make run` serves it, for tests about the whole process (its logs,
its periodic work): `manage.py migrate` and `manage.py seed_demo` (once per test process,
then a copy of the database per server), then make run's daphne command line
(tests/integration/servers.py starts it), in the embedded mode: SQLite in a temporary
folder, in-process cache and channel layer, eager Celery, whatever the caller's
environment says, with the Makefile's development defaults.

Use in a test module: `embedded_database = embedded_server.embedded_database` and
`start_server = embedded_server.start_server`; `start_server(**env)` answers a server with
`request()`, `login()`, `log()` and `stop()`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.integration import servers

ROOT = Path(__file__).resolve().parents[1]
# Seconds a server gets to exit on Ctrl-C (a slow, loaded machine included).
STOP_TIMEOUT = 30
# What `make run` exports (Makefile).
MAKE_RUN_ENV = {"DJANGO_DEBUG": "true", "DJANGO_SECURE_SSL_REDIRECT": "false"}


def embedded_env(database: Path, media: Path, **extra: str) -> dict[str, str]:
    """The environment of a process of `make run` with nothing configured, over this one."""
    return {
        **os.environ,
        **MAKE_RUN_ENV,
        "DATABASE_URL": f"sqlite:///{database}",
        # No broker: what settings choose when REDIS_URL and CELERY_BROKER_URL are unset,
        # also over a CI job's or a developer's environment or .env.
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "memory://localhost/",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        # pyproject.toml turns it off for the test process; `make run` has it on (default).
        "EMBEDDED_BEAT": "true",
        "MEDIA_ROOT": str(media),
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
    """A SQLite database migrated and seeded as by `make run`, once per test process."""
    folder = tmp_path_factory.mktemp("embedded-template")
    database = folder / "db.sqlite3"
    env = embedded_env(database, folder / "media")
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    return database


class EmbeddedServer:
    def __init__(self, server: servers.Server) -> None:
        self.server = server
        self.http = server.url

    def log(self) -> str:
        return self.server.log()

    def request(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """One HTTP request: (status, the JSON body, or the text when it is not JSON)."""
        all_headers = {"Accept": "application/json", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        response = requests.request(
            method, f"{self.http}{path}", json=body, headers=all_headers, timeout=30
        )
        try:
            return response.status_code, response.json()
        except json.JSONDecodeError:
            return response.status_code, response.text

    def login(self, username: str, password: str) -> str:
        status, body = self.request(
            "POST", "/api/v1/auth/login/", {"username": username, "password": password}
        )
        assert status == 200, body
        return body["access"]

    def stop(self) -> int | None:
        """Ctrl-C, as a developer stops `make run`, and its exit code; None if it had not
        exited after STOP_TIMEOUT seconds (what is left of its group is killed either way)."""
        process = self.server.process
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=STOP_TIMEOUT)
        code = process.returncode
        self.server.stop()
        return code


@pytest.fixture
def start_server(embedded_database, tmp_path) -> Iterator[Any]:
    """`start_server(**env)`: make run's daphne on a copy of the embedded database, with
    `env` added; every server is stopped after the test."""
    started: list[EmbeddedServer] = []

    def start(**extra_env: str) -> EmbeddedServer:
        index = len(started)
        database = tmp_path / f"server-{index}.sqlite3"
        shutil.copyfile(embedded_database, database)
        env = embedded_env(database, tmp_path / f"media-{index}", **extra_env)
        arrangement = servers.start_make_run_server(env, tmp_path)
        server = EmbeddedServer(arrangement.servers[0])
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
