"""Services a fault test may stop: its own `redis-server` and its own PostgreSQL cluster, each
on a free port and stopped by the test that started it (never the machine's shared services).
The servers that use them are tests/integration/servers.py's production arrangement.

docs/reliability.md fault tests 8 (Redis) and 9 (PostgreSQL) use these. Each outage should last a
few seconds: restarting either service takes well under one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from django.db import connection

from tests.conftest import service_missing
from tests.integration.conftest import die_with_parent, wait_until
from tests.integration.realtime_fixtures import free_port

START_TIMEOUT = 30
STOP_TIMEOUT = 15
# How long a test waits for any one HTTP answer: far above what a degraded request may take
# (a few socket timeouts), far below "hanging".
HTTP_TIMEOUT = 15


# --- Redis -------------------------------------------------------------------------------


@dataclass
class RedisServer:
    """A `redis-server` of this test's own, without persistence: a restart comes back empty,
    as a crashed cache without RDB/AOF would."""

    port: int
    log_path: Path
    process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis.from_url(self.url(db), socket_timeout=2, socket_connect_timeout=2)

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            service_missing("fault tests need the redis-server binary (apt-get install redis)")
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
        log.close()
        wait_until(self._answers, START_TIMEOUT, 0.05, f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        """Gone: connections are refused (SIGKILL, nothing saved)."""
        if self.process is not None and self.process.poll() is None:
            self.resume()
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)
        self.process = None

    def pause(self) -> None:
        """Blackholed: the port still accepts connections (the kernel does that), but nothing
        ever answers, like a hung server or a silent network partition."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    """A running `redis-server` on a free port, stopped after the test."""
    server = RedisServer(port=free_port(), log_path=tmp_path / "redis.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- PostgreSQL --------------------------------------------------------------------------


def _postgres_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if found:
        return str(found[-1])
    binary = shutil.which(name)
    if binary is None:
        service_missing(f"fault tests need PostgreSQL's {name} (/usr/lib/postgresql/*/bin)")
    return binary


@dataclass
class PostgresCluster:
    """A PostgreSQL cluster of this test's own (`initdb` in a temporary directory). As root,
    the server runs as the `postgres` user: PostgreSQL refuses to run as root."""

    directory: Path
    port: int
    user: str | None = None
    started: bool = False

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *command: str) -> None:
        subprocess.run(
            command, check=True, user=self.user, capture_output=True, timeout=START_TIMEOUT
        )

    def init(self) -> None:
        self._run(
            _postgres_bin("initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run(
            _postgres_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.directory / "server.log"),
            "-w",
            "start",
        )
        self.started = True

    def stop(self) -> None:
        """Fast shutdown: open sessions are terminated, new connections refused."""
        if self.started:
            self._run(_postgres_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
            self.started = False

    def psql(self, database: str, sql: str | bytes) -> None:
        """Run SQL (a statement, or a dump as bytes) in one of this cluster's databases."""
        address = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        subprocess.run(
            [_postgres_bin("psql"), "-q", "-v", "ON_ERROR_STOP=1", *address, "-d", database],
            input=sql.encode() if isinstance(sql, str) else sql,
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT,
        )

    def copy_database(self, name: str) -> None:
        """Create `name` here as a copy of this test's database (schema and rows, e.g. the
        content types the admin needs): what the migrations built, in a second, where
        running every migration again would take twenty."""
        source = connection.settings_dict
        self.psql("postgres", f'CREATE DATABASE "{name}"')
        host, port = source.get("HOST") or "127.0.0.1", str(source.get("PORT") or 5432)
        address = ["-h", host, "-p", port, "-U", source.get("USER") or "postgres"]
        dump = subprocess.run(
            [_postgres_bin("pg_dump"), "--no-owner", "--no-privileges", *address, source["NAME"]],
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT,
        )
        self.psql(name, dump.stdout)


@pytest.fixture
def postgres_cluster(transactional_db) -> Iterator[PostgresCluster]:
    """A running cluster of this test's own on a free port, with database `chirp` copied
    from the test database; stopped and deleted after the test."""
    user = "postgres" if os.geteuid() == 0 else None
    directory = Path(tempfile.mkdtemp(prefix="chirp-pg-"))
    if user is not None:
        shutil.chown(directory, user=user)
    cluster = PostgresCluster(directory=directory, port=free_port(), user=user)
    try:
        cluster.init()
        cluster.start()
        cluster.copy_database("chirp")
        yield cluster
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


# --- talking to the servers --------------------------------------------------------------


def call(
    base_url: str,
    method: str,
    path: str,
    json: Any = None,
    *,
    token: str | None = None,
    session: requests.Session | None = None,
    **kwargs: Any,
) -> requests.Response:
    """One HTTP request (in `session`, for its cookies); fails the test if no answer comes
    within HTTP_TIMEOUT, which is how a request that hangs on a dead service shows."""
    headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    sender = session or requests
    try:
        return sender.request(
            method, base_url + path, json=json, headers=headers, timeout=HTTP_TIMEOUT, **kwargs
        )
    except requests.Timeout:
        pytest.fail(f"{method} {path}: no answer within {HTTP_TIMEOUT}s")


def wait_for_status(
    base_url: str, path: str, status: int, timeout: float = 30.0
) -> requests.Response:
    """Poll `path` until it answers `status` (e.g. /readyz 200 once a service is back)."""

    def answered() -> requests.Response | None:
        answer = call(base_url, "GET", path)
        return answer if answer.status_code == status else None

    return wait_until(answered, timeout, 0.2, f"{path} to answer {status}")
