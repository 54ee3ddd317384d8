"""The real ASGI server for the real-time end-to-end tests, started the way `make run` does
(`daphne -b 127.0.0.1 -p PORT config.asgi:application`), plus a WebSocket reader.

Isolation, so that xdist workers and concurrent runs can share one PostgreSQL and Redis:
- a free port per server;
- the server uses this test's database (pytest-django's test_<name>[_gwN]), this test's
  broker queue (the `broker` fixture of conftest.py, through CELERY_TASK_DEFAULT_QUEUE) and
  this test's channel-layer prefix and cache prefix (tests/conftest.py makes both unique per
  test). Groups are `user.<id>` and every test database starts its ids at 1, so without the
  prefix one worker's socket could get another worker's events.
Workers started by `start_worker(CHANNEL_LAYER_PREFIX=server.channel_prefix)` push into the
same layer (the fan-out's `newsfeed` events).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.integration.conftest import Broker, database_url, wait_until

ROOT = Path(__file__).resolve().parents[2]
DAPHNE_BIN = Path(sys.executable).parent / "daphne"
SERVER_READY_TIMEOUT = 60
SERVER_STOP_TIMEOUT = 15


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class AsgiServer:
    port: int
    process: subprocess.Popen
    log_path: Path
    channel_prefix: str

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def running_daphne(settings, broker: Broker, tmp_path: Path, **env: str) -> Iterator[AsgiServer]:
    """daphne on this test's database, broker queue and prefixes, with `env` added to its
    environment; answering /healthz inside, stopped (its log printed) after."""
    if not DAPHNE_BIN.exists():
        pytest.fail(f"daphne is not installed at {DAPHNE_BIN}")
    port = free_port()
    channel_prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": broker.url,
        "CELERY_TASK_DEFAULT_QUEUE": broker.queue,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CHANNEL_LAYER_PREFIX": channel_prefix,
        "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
        "DJANGO_DEBUG": "true",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "THROTTLE_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    log_path = tmp_path / f"daphne-{port}.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        [str(DAPHNE_BIN), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=environment,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = AsgiServer(port, process, log_path, channel_prefix)

    def ready() -> bool:
        if process.poll() is not None:
            pytest.fail(f"daphne exited early:\n{server.log()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{server.http}/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_until(ready, SERVER_READY_TIMEOUT, 0.1, "daphne to answer /healthz")
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=SERVER_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=SERVER_STOP_TIMEOUT)
        log_file.close()
        print(f"--- log of daphne :{port} (end) ---\n{server.log()[-4000:]}")


@pytest.fixture
def asgi_server(transactional_db, broker: Broker, settings, tmp_path) -> Iterator[AsgiServer]:
    """daphne as `make run` starts it, on this test's database; stopped after the test."""
    with running_daphne(settings, broker, tmp_path) as server:
        yield server


@pytest.fixture
def start_asgi_server(
    transactional_db, broker: Broker, settings, tmp_path
) -> Iterator[Callable[..., AsgiServer]]:
    """A factory: `start_asgi_server(**env)` is `asgi_server` with `env` added to daphne's
    environment (e.g. CHANNEL_LAYER_URL); every server it starts is stopped after the test."""
    with contextlib.ExitStack() as stack:
        yield lambda **env: stack.enter_context(running_daphne(settings, broker, tmp_path, **env))


@dataclass
class StreamReader:
    """A WebSocket client that reads continuously in a thread and stamps each event with
    the moment it arrived (time.monotonic()), so latency is measured, not the test's
    reading schedule."""

    url: str
    events: queue.Queue = field(default_factory=queue.Queue)
    close_code: int | None = None
    _thread: threading.Thread | None = None
    _ws: Any = None

    def start(self) -> StreamReader:
        self._ws = connect(self.url, open_timeout=10, close_timeout=2)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            for raw in self._ws:
                self.events.put((time.monotonic(), json.loads(raw)))
        except ConnectionClosed:
            pass
        self.close_code = self._ws.close_code

    def send(self, event: dict) -> None:
        self._ws.send(json.dumps(event))

    def next(self, predicate=lambda event: True, timeout: float = 15.0) -> tuple[float, dict]:
        """The next (arrival time, event) matching `predicate`; others are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"no matching event within {timeout}s on {self.url.split('?')[0]}")
            try:
                arrived, event = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            if predicate(event):
                return arrived, event

    def close(self) -> None:
        self._ws.close()
        if self._thread is not None:
            self._thread.join(timeout=5)


@pytest.fixture
def stream_reader() -> Iterator[Any]:
    """`stream_reader(url)` opens a reading socket; all are closed after the test."""
    readers: list[StreamReader] = []

    def open_reader(url: str) -> StreamReader:
        reader = StreamReader(url).start()
        readers.append(reader)
        return reader

    yield open_reader
    for reader in readers:
        with contextlib.suppress(Exception):
            reader.close()
