"""What every benchmark module shares: the run's isolated environment, its own PostgreSQL
database, the machine's description and the results file.

A figure group is a module with `run(args) -> dict` (and `add_arguments(parser)`); its
`main()` calls `common.main(module)`, so each group also runs on its own. The run's
environment is set before Django loads settings; Django itself is set up by `setup()`.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import secrets
import signal
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/chirp_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
BROKER_DB = 11
RUN = uuid.uuid4().hex[:10]


def configure_environment() -> dict[str, str]:
    """Environment of this process and of every process it starts, set before Django loads
    settings (variables already set win, except those that keep the run isolated and
    measurable)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # the project's packages
    from config.redis_urls import redis_url_with_db

    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL")
        or redis_url_with_db(redis_url, BROKER_DB),
        "CELERY_TASK_DEFAULT_QUEUE": f"bench-{RUN}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CACHE_KEY_PREFIX": f"bench-{RUN}",
        "CHANNEL_LAYER_PREFIX": f"bench-{RUN}",
        # Production-like: DEBUG off (no query log kept per request), throttles off.
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "THROTTLE_ENABLED": "false",
        # Tokens minted at the start outlive a run of several minutes.
        "JWT_ACCESS_MINUTES": "120",
        # 10,000 followers is the default large-account threshold: fan out regardless.
        "NEWSFEED_CELEBRITY_THRESHOLD": "1000000000",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    return env


def fresh_database(database_url: str) -> str:
    """Drop and create the bench database; returns its name."""
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"refusing to drop database {name!r}: a bench database's name contains 'bench'")
    maintenance = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def setup(database_url: str) -> str:
    """A fresh, migrated bench database and Django set up on it; returns the name."""
    database = fresh_database(database_url)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return database


def machine() -> dict:
    from django.db import connection

    from core.redis import get_redis

    memory_kb = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    cpu = platform.processor()
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "postgresql": postgres,
        "redis": get_redis().info("server")["redis_version"],
        "kernel": platform.release(),
    }


def describe_machine(info: dict) -> str:
    return (
        f"machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory_gib']} GiB, "
        f"PostgreSQL {info['postgresql']}, Redis {info['redis']}, "
        f"load {info['load_average_at_start']}"
    )


def die_with_parent() -> None:
    """In a child, before exec (Linux): SIGTERM when this benchmark process dies."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def cleanup_redis() -> None:
    """Delete this run's keys: cache, channel layer and broker queue."""
    import redis

    from core.redis import get_redis

    for client in (get_redis(), redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])):
        for key in client.scan_iter(match=f"*bench-{RUN}*"):
            client.delete(key)


def write_results(name: str, result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    path = RESULTS / f"{name}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def main(module) -> None:
    """Run one figure group on its own: `python bench/<group>.py [options]`."""
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=module.__doc__.split("\n\n")[0])
    module.add_arguments(parser)
    args = parser.parse_args()
    module.run(args)
