"""The integration tier: real PostgreSQL, Redis and Celery worker processes.

Every test here is marked `@pytest.mark.integration`. Without PostgreSQL or Redis they skip
with the reason, and fail instead under CHIRP_REQUIRE_SERVICES=1 (CI).

Isolation, so that xdist workers and concurrent runs can share one Redis server:
- each test gets its own Celery queue name, used by the test process (the producer) and by
  every worker it starts (CELERY_TASK_DEFAULT_QUEUE: what they consume and what their tasks
  enqueue in turn), on a broker database reserved for tests (REDIS_URL's server, database
  BROKER_DB); the queue's keys are deleted afterwards;
- a test that empties the broker (`@pytest.mark.exclusive_broker`) gets database
  EXCLUSIVE_BROKER_DB instead, under a Redis lock, so a FLUSHDB never drops another test's
  messages;
- workers connect to this test's database (pytest-django's test_<name>[_gwN]) and share the
  test's cache key prefix and channel-layer prefix (tests/conftest.py makes both unique per
  test), so what they write to the feed cache or push to sockets is what the test reads.

Fixtures: `broker` (the test's queue, and `broker.unreachable()` for outages), `start_worker`
(a factory: any number of workers, each stopped in teardown) and `celery_worker` (one
running worker). `wait_until` polls a condition.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import kombu.pools
import pytest
import redis
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from config.redis_urls import redis_url_with_db
from tests.conftest import service_missing

ROOT = Path(__file__).resolve().parents[2]
CELERY_BIN = Path(sys.executable).parent / "celery"

# Redis databases reserved for the tests' brokers (never the cache's, never a developer's 0/1).
BROKER_DB = 15
EXCLUSIVE_BROKER_DB = 14
# A port nothing listens on: connecting is refused at once.
UNREACHABLE_BROKER_URL = "redis://127.0.0.1:1/0"

PR_SET_PDEATHSIG = 1  # linux/prctl.h

WORKER_READY_TIMEOUT = 30
WORKER_STOP_TIMEOUT = 15


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers",
        "exclusive_broker: the test empties its broker database, so it gets one of its own",
    )


# --- helpers -----------------------------------------------------------------------------


def wait_until(
    predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05, what: str = ""
) -> Any:
    """Poll `predicate` until it returns something truthy, and return that; fail the test
    with `what` (or the predicate's name) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what or predicate.__name__}")
        time.sleep(interval)


def database_url(**options: str) -> str:
    """A DATABASE_URL for the database this test process uses (pytest-django's test
    database), with libpq `options` such as lock_timeout="500"."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    url = f"postgres://{auth}@{host}:{port}/{quote(db['NAME'], safe='')}"
    if options:
        pg_options = " ".join(f"-c {name}={value}" for name, value in options.items())
        url += "?" + urlencode({"options": pg_options}, quote_via=quote)
    return url


def die_with_parent() -> None:
    """In a child, before exec (Linux): get SIGTERM when the process that started it dies,
    so a test run killed from outside (a CI timeout) leaves no worker or server behind."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def use_broker(url: str) -> None:
    """Point this process's Celery producer at `url`, dropping every pooled connection (kombu
    keeps producer pools in process-wide registries keyed by URL)."""
    kombu.pools.reset()
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    celery_app.conf.broker_url = url


def _redis_answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        return bool(client.ping())
    except redis.RedisError:
        return False


# --- services ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _require_services(request) -> None:
    """Integration tests need PostgreSQL and Redis: skip (or fail in CI) when absent."""
    if request.node.get_closest_marker("integration") is None:
        return
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql":
        service_missing(
            f"integration tests need PostgreSQL (DATABASE_URL=postgres://...); the database "
            f"engine is {engine}"
        )
    if not settings.REDIS_URL:
        service_missing("integration tests need Redis (REDIS_URL=redis://...); REDIS_URL is unset")
    if not _redis_answers(settings.REDIS_URL):
        service_missing(f"integration tests need Redis; {settings.REDIS_URL} does not answer PING")
    if not CELERY_BIN.exists():
        service_missing(f"integration tests need the celery command at {CELERY_BIN}")


# --- broker --------------------------------------------------------------------------------


@dataclass
class Broker:
    """The test's broker database and queue, as the test process and its workers use them."""

    url: str
    queue: str
    client: redis.Redis
    exclusive: bool = False

    def queue_length(self) -> int:
        """Messages waiting in the test's queue (kombu keeps priorities in extra lists)."""
        return sum(self.client.llen(key) for key in self.client.scan_iter(match=f"{self.queue}*"))

    def flush(self) -> None:
        """Empty the broker database, as a Redis restart without persistence would."""
        assert self.exclusive, "only an exclusive_broker test may empty its broker database"
        self.client.flushdb()

    @contextlib.contextmanager
    def unreachable(self) -> Iterator[None]:
        """While inside: this process publishes to a port nothing listens on."""
        use_broker(UNREACHABLE_BROKER_URL)
        try:
            yield
        finally:
            use_broker(self.url)

    def cleanup(self) -> None:
        for key in self.client.scan_iter(match=f"*{self.queue}*"):
            self.client.delete(key)
        # Messages a killed worker left unacknowledged (kombu would restore them to our queue
        # after the visibility timeout, long after this test).
        for tag, payload in self.client.hscan_iter("unacked"):
            if self.queue.encode() in payload:
                self.client.hdel("unacked", tag)
                self.client.zrem("unacked_index", tag)


@pytest.fixture
def broker(request, settings) -> Iterator[Broker]:
    """Real Celery for this test: eager mode off, and tasks this process sends go to a queue
    no other test consumes. Restores the previous Celery configuration afterwards."""
    exclusive = request.node.get_closest_marker("exclusive_broker") is not None
    db = EXCLUSIVE_BROKER_DB if exclusive else BROKER_DB
    url = redis_url_with_db(settings.REDIS_URL, db)
    queue = f"chirp-test-{uuid.uuid4().hex[:12]}"
    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)

    lock = None
    if exclusive:
        # Kept outside the database it guards (FLUSHDB would drop it).
        locks = redis.Redis.from_url(redis_url_with_db(settings.REDIS_URL, BROKER_DB))
        lock = locks.lock("chirp-tests:exclusive-broker", timeout=600, blocking_timeout=300)
        assert lock.acquire(), "another test run holds the exclusive broker database"

    saved = {
        name: celery_app.conf[name]
        for name in ("broker_url", "task_always_eager", "task_default_queue")
    }
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    use_broker(url)
    result = Broker(url=url, queue=queue, client=client, exclusive=exclusive)
    try:
        yield result
    finally:
        celery_app.conf.task_always_eager = saved["task_always_eager"]
        celery_app.conf.task_default_queue = saved["task_default_queue"]
        use_broker(saved["broker_url"])
        try:
            result.cleanup()
        finally:
            if lock is not None:
                lock.release()


# --- workers -------------------------------------------------------------------------------


@dataclass
class CeleryWorker:
    """A `celery worker` subprocess (prefork) in its own process group, logging to a file."""

    name: str
    process: subprocess.Popen
    log_path: Path
    _log_file: Any = field(repr=False, default=None)

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def is_alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, timeout: float = WORKER_READY_TIMEOUT) -> None:
        def ready() -> bool:
            if not self.is_alive():
                pytest.fail(f"worker {self.name} exited early:\n{self.log()[-4000:]}")
            return f"{self.name}@" in self.log() and " ready." in self.log()

        wait_until(ready, timeout, 0.1, f"worker {self.name} to be ready")

    def task_result(self, task_id: str) -> str | None:
        """The return value this worker logged for `task_id`, or None if not succeeded yet."""
        marker = f"[{task_id}] succeeded in "
        for line in self.log().splitlines():
            if marker in line:
                return line.split(marker, 1)[1].split(": ", 1)[1]
        return None

    def wait_for_task(self, task_id: str, timeout: float = 30.0) -> str:
        return wait_until(
            lambda: self.task_result(task_id), timeout, 0.05, f"task {task_id} to succeed"
        )

    def kill(self) -> None:
        """SIGKILL the main process only, as a crash or the OOM killer would."""
        os.kill(self.pid, signal.SIGKILL)
        self.process.wait(timeout=WORKER_STOP_TIMEOUT)

    def stop(self, graceful: bool = True) -> None:
        """Warm shutdown (SIGTERM: running tasks finish, unstarted ones go back to the
        queue), then SIGKILL whatever is left of its process group. Not `graceful`: only
        the SIGKILL."""
        if graceful and self.is_alive():
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=WORKER_STOP_TIMEOUT)
        # Pool children outlive a killed main process; they share its process group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=WORKER_STOP_TIMEOUT)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


@pytest.fixture
def start_worker(
    transactional_db, broker: Broker, settings, tmp_path
) -> Iterator[Callable[..., CeleryWorker]]:
    """A factory of Celery workers consuming this test's queue, from this test's database.

    `start_worker(concurrency=2, database_options={...}, **env)` returns a ready worker;
    `env` adds environment variables (e.g. NEWSFEED_FANOUT_BATCH_SIZE="500"), and
    `database_options` libpq settings for its connections (e.g. lock_timeout="500").
    Tests need committed rows for the worker to see them, hence the transactional database.
    """
    workers: list[CeleryWorker] = []
    layer_config = settings.CHANNEL_LAYERS["default"].get("CONFIG", {})
    channel_layer_prefix = (
        {"CHANNEL_LAYER_PREFIX": layer_config["prefix"]} if "prefix" in layer_config else {}
    )

    def start(
        *, concurrency: int = 2, database_options: dict[str, str] | None = None, **env: str
    ) -> CeleryWorker:
        name = f"w{len(workers)}-{broker.queue}"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(**(database_options or {})),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_BROKER_URL": broker.url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_TASK_DEFAULT_QUEUE": broker.queue,
            "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
            **channel_layer_prefix,
            "DJANGO_DEBUG": "true",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        log_path = tmp_path / f"{name}.log"
        log_file = log_path.open("wb")
        command = [
            str(CELERY_BIN),
            "-A",
            "config",
            "worker",
            "-l",
            "info",
            "-P",
            "prefork",
            "-c",
            str(concurrency),
            "-Q",
            broker.queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{name}@%h",
        ]
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: teardown reaps pool children too
            preexec_fn=die_with_parent,
        )
        worker = CeleryWorker(name=name, process=process, log_path=log_path, _log_file=log_file)
        workers.append(worker)
        worker.wait_ready()
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            # No warm shutdown (seconds per worker): the test is over, its queue is deleted.
            worker.stop(graceful=False)
            # Shown by pytest only when the test fails.
            print(f"--- log of worker {worker.name} (end) ---\n{worker.log()[-6000:]}")
        # Connections the workers held are gone: the test database can be flushed.


@pytest.fixture
def celery_worker(start_worker) -> CeleryWorker:
    """One running worker (concurrency 2) on this test's queue."""
    return start_worker()
