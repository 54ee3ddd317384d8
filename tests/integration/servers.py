"""The production serving arrangement as local subprocesses, and the tools to load it.

What runs is what docker-compose.yml runs: the `web` (gunicorn, HTTP) and `ws` (daphne,
WebSocket) services' command lines are read from that file and only their listen address
is changed, to free ports on 127.0.0.1; the proxy is nginx with deploy/nginx.conf, its
upstream names and listen address changed likewise. docs/scaling.md explains the choice.

Reusable pieces:
- `production_servers` (fixture; a test module binds it, `production_servers =
  servers.production_servers`, as realtime_fixtures' are): web and ws on this test's
  database, broker queue, cache and channel-layer prefixes, DEBUG off, throttles off;
  `production(env, log_dir)` does the same for a fixture with an environment of its own.
- `start_production()` / `start_make_run_server()`: the same without pytest (bench/serving.py
  uses them); `start_proxy()` puts nginx in front.
- `ConnectionSampler` / `sample_connections()`: polls pg_stat_activity for one database
  (this process's Django database), keeps the maximum.
- `drive()`: N concurrent keep-alive HTTP clients for some seconds, statuses counted.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
import yaml

from tests.integration.conftest import database_url, die_with_parent
from tests.integration.realtime_fixtures import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
READY_TIMEOUT = 60
# Seconds a server gets to exit on SIGTERM before its process group is killed: what it was
# serving is over (gunicorn's master otherwise lingers for its graceful_timeout).
STOP_GRACE = 3
STOP_TIMEOUT = 15


def compose_services() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]


def listening_on(command: list[str], host: str, port: int) -> list[str]:
    """`command` with its listen address replaced (gunicorn's `--bind host:port`, daphne's
    `--bind host --port port`) and its program taken from this virtualenv."""
    result = list(command)
    for index, arg in enumerate(result[:-1]):
        if arg in ("--bind", "-b"):
            result[index + 1] = f"{host}:{port}" if ":" in result[index + 1] else host
        elif arg in ("--port", "-p"):
            result[index + 1] = str(port)
    if (BIN / result[0]).exists():
        result[0] = str(BIN / result[0])
    return result


def service_command(service: str, port: int) -> list[str]:
    return listening_on(compose_services()[service]["command"], "127.0.0.1", port)


@dataclass
class Server:
    """One server process (and its children, in its own process group), logging to a file."""

    name: str
    port: int
    process: subprocess.Popen
    log_path: Path
    _log_file: Any = field(repr=False, default=None)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log()[-4000:]}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not answer /healthz within {timeout}s")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=STOP_GRACE)
        # Workers outlive a killed master; they share its process group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_TIMEOUT)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


def start_server(
    name: str, command: list[str], env: dict[str, str], log_dir: Path, port: int
) -> Server:
    log_path = log_dir / f"{name}-{port}.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=die_with_parent,
    )
    return Server(name, port, process, log_path, log_file)


@dataclass
class Servers:
    """Started servers and the PostgreSQL connections they may hold at most."""

    servers: list[Server]
    connection_bound: int
    formula: str
    proxy: Server | None = None

    def __getitem__(self, name: str) -> Server:
        return next(server for server in self.servers if server.name == name)

    @property
    def http_url(self) -> str:
        """Where clients send HTTP: the proxy if one runs, else the HTTP server."""
        return (self.proxy or self.servers[0]).url

    @property
    def ws_url(self) -> str:
        server = self.proxy or self["ws"]
        return f"ws://127.0.0.1:{server.port}"

    @property
    def ws_servers(self) -> list[Server]:
        """Every ws server (one unless started with ws_processes)."""
        return [server for server in self.servers if server.name.startswith("ws")]

    def logs(self) -> str:
        everything = [*self.servers, *([self.proxy] if self.proxy else [])]
        return "\n".join(f"--- {s.name} (end) ---\n{s.log()[-3000:]}" for s in everything)

    def stop(self) -> None:
        for server in [*([self.proxy] if self.proxy else []), *self.servers]:
            server.stop()


def wait_all_ready(servers: list[Server]) -> None:
    """Wait until each answers /healthz; if one fails, stop them all and raise."""
    try:
        for server in servers:
            server.wait_ready()
    except Exception:
        for server in servers:
            server.stop()
        raise


def start_production(
    env: dict[str, str],
    log_dir: Path,
    *,
    web_concurrency: int = 2,
    web_threads: int = 4,
    ws_pool_size: int = 4,
    ws_processes: int = 1,
) -> Servers:
    """docker-compose.yml's web and ws services, on free ports; `env` is the environment
    both share (database, Redis, secrets), as compose's x-app-environment is. With
    `ws_processes` > 1, that many ws servers (named ws, ws2, ...), as `docker compose up
    --scale ws=N` runs behind a proxy that spreads sockets over them."""
    web_port = free_port()
    web_env = {**env, "WEB_CONCURRENCY": str(web_concurrency), "WEB_THREADS": str(web_threads)}
    ws_env = {**env, "DATABASE_POOL_SIZE": str(ws_pool_size)}
    servers = [start_server("web", service_command("web", web_port), web_env, log_dir, web_port)]
    for n in range(ws_processes):
        port = free_port()
        name = "ws" if n == 0 else f"ws{n + 1}"
        servers.append(start_server(name, service_command("ws", port), ws_env, log_dir, port))
    wait_all_ready(servers)
    ws_term = f"{ws_processes} x " if ws_processes > 1 else ""
    return Servers(
        servers,
        connection_bound=web_concurrency * web_threads + ws_pool_size * ws_processes,
        formula=(
            f"web WEB_CONCURRENCY x WEB_THREADS ({web_concurrency} x {web_threads}) "
            f"+ ws {ws_term}DATABASE_POOL_SIZE ({ws_pool_size})"
        ),
    )


# `make run`'s server (Makefile: `daphne -b $(HOST) -p $(PORT) config.asgi:application`),
# whose connections come from the pool settings give every ASGI process (default 4).
MAKE_RUN_COMMAND = ["daphne", "-b", "127.0.0.1", "-p", "8000", "config.asgi:application"]
ASGI_DEFAULT_POOL_SIZE = 4


def start_make_run_server(env: dict[str, str], log_dir: Path) -> Servers:
    port = free_port()
    command = listening_on(MAKE_RUN_COMMAND, "127.0.0.1", port)
    server = start_server("daphne", command, env, log_dir, port)
    wait_all_ready([server])
    pool = int(env.get("DATABASE_POOL_SIZE") or ASGI_DEFAULT_POOL_SIZE)
    return Servers([server], connection_bound=pool, formula=f"DATABASE_POOL_SIZE ({pool})")


def start_proxy(servers: Servers, log_dir: Path, *, worker_connections: int = 1024) -> Server:
    """nginx with deploy/nginx.conf in front of `servers` (web and every ws server, as
    compose's `ws` service name resolves to each replica), on a free port: compose's
    service names become local addresses, the media volume a local folder. A proxied socket
    holds two of `worker_connections` (the official image's 1024 by default)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    prefix = log_dir / f"nginx-{port}"
    (prefix / "media").mkdir(parents=True)
    ws_upstreams = "\n    ".join(f"server 127.0.0.1:{ws.port};" for ws in servers.ws_servers)
    site = (
        NGINX_CONF.read_text()
        .replace("server web:8000;", f"server 127.0.0.1:{servers['web'].port};")
        .replace("server ws:8001;", ws_upstreams)
        .replace("listen 80;", f"listen 127.0.0.1:{port};")
        .replace("alias /data/media/;", f"alias {prefix}/media/;")
    )
    (prefix / "site.conf").write_text(site)
    # The official image's main configuration, reduced to what a local run needs.
    (prefix / "nginx.conf").write_text(
        f"""daemon off;
worker_processes 1;
worker_rlimit_nofile {2 * worker_connections + 64};
pid {prefix}/nginx.pid;
error_log stderr warn;
events {{ worker_connections {worker_connections}; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/site.conf;
}}
"""
    )
    user = [] if os.geteuid() != 0 else ["-g", "user root;"]
    command = [nginx, "-e", "stderr", "-p", str(prefix), "-c", str(prefix / "nginx.conf"), *user]
    proxy = start_server("proxy", command, {}, log_dir, port)
    wait_all_ready([proxy])
    servers.proxy = proxy
    return proxy


def server_environment(settings, broker) -> dict[str, str]:
    """What the servers share in a test: the test's database, Redis namespaces and broker
    queue, and production's DEBUG off (with secrets of its own), throttles off."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": broker.url,
        "CELERY_TASK_DEFAULT_QUEUE": broker.queue,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
        "CHANNEL_LAYER_PREFIX": settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "THROTTLE_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
    }


@contextlib.contextmanager
def production(env: dict[str, str], log_dir: Path, **options: int) -> Iterator[Servers]:
    """`start_production()` for the block; then stopped, their logs printed (pytest shows
    them when the test fails)."""
    servers = start_production(env, log_dir, **options)
    try:
        yield servers
    finally:
        servers.stop()
        print(servers.logs())


@pytest.fixture
def production_servers(transactional_db, broker, settings, tmp_path) -> Iterator[Servers]:
    """docker-compose.yml's web and ws servers on this test's database (2 x 4 threads, a
    pool of 4); stopped after the test, their logs printed if it fails."""
    with production(server_environment(settings, broker), tmp_path) as servers:
        yield servers


# --- load and observation ----------------------------------------------------------------


class ConnectionSampler:
    """Counts, every `interval` seconds in a thread, the backends connected to `database`
    (all but `exclude_pids`, the observer's own), and keeps every sample."""

    def __init__(self, conninfo: dict[str, Any], database: str, exclude_pids=(), interval=0.1):
        self.conninfo = conninfo
        self.database = database
        self.exclude = list(exclude_pids)
        self.interval = interval
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with psycopg.connect(**{**self.conninfo, "dbname": "postgres"}, autocommit=True) as conn:
            while not self._stop.is_set():
                (count,) = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                    "AND backend_type = 'client backend' AND pid <> ALL(%s)",
                    [self.database, self.exclude],
                ).fetchone()
                self.samples.append(count)
                self._stop.wait(self.interval)

    @property
    def max(self) -> int:
        return max(self.samples, default=0)

    def __enter__(self) -> ConnectionSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def sample_connections() -> ConnectionSampler:
    """A sampler of the backends on this process's Django database, other than this
    process's own connection: the servers' (and workers') connections."""
    from django.db import connection

    connection.ensure_connection()
    db = connection.settings_dict
    conninfo = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432, "user": db["USER"]}
    if db.get("PASSWORD"):
        conninfo["password"] = db["PASSWORD"]
    return ConnectionSampler(conninfo, db["NAME"], [connection.connection.info.backend_pid])


def drive(
    base_url: str, requests_: list[tuple[str, str | None]], clients: int, seconds: float
) -> dict[str, Counter]:
    """`clients` threads, each with a keep-alive session, send the (path, bearer token)
    pairs of `requests_` round-robin for `seconds`. Returns, per path, the count of each
    status (and of "error": a connection or timeout failure)."""
    results: dict[str, Counter] = {path: Counter() for path, _ in requests_}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(offset: int) -> None:
        session = requests.Session()
        local: dict[str, Counter] = {path: Counter() for path, _ in requests_}
        n = offset
        while time.monotonic() < deadline:
            path, token = requests_[n % len(requests_)]
            n += 1
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            try:
                status = session.get(f"{base_url}{path}", headers=headers, timeout=30).status_code
            except requests.RequestException:
                status = "error"
            local[path][status] += 1
        session.close()
        with lock:
            for path, counts in local.items():
                results[path].update(counts)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
