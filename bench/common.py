"""What every benchmark module shares: the run's isolated environment, its own PostgreSQL
database, the machine's description and the results file.

A figure group is a module with `run(args) -> dict` (and `add_arguments(parser)`); its
`main()` calls `common.main(module)`, so each group also runs on its own. The run's
environment is set before Django loads settings; Django itself is set up by `setup()`.

For `make bench` (bench/run.py, every group in one run), a group also has `part(ctx) ->
dict`: `ctx` is a `Context` (sizes, a progress line, a fresh database, a folder for logs)
and the dict holds its `figures` (anything, written to the JSON), its `checks` (`check()`:
a figure next to its floor or ceiling), and what the charts draw: `distributions`
(`quantiles()` of latencies in ms) and `throughput` (`rate()`).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import math
import os
import platform
import secrets
import signal
import sys
import time
import uuid
from dataclasses import dataclass, field
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


def fresh_database(database_url: str, *, template: str | None = None) -> str:
    """Drop and create the bench database (a copy of `template`, a database, when given);
    returns its name."""
    name = database_name(database_url)
    copy = f' TEMPLATE "{template}"' if template else ""
    _maintenance(
        database_url,
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}"{copy}',
    )
    return name


def database_name(database_url: str) -> str:
    name = urlsplit(database_url).path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"refusing to drop database {name!r}: a bench database's name contains 'bench'")
    return name


def migrated_template(database_url: str) -> str:
    """The name of the copy of the freshly migrated bench database that later groups of
    one run start from: copying it takes a fraction of a second, migrating about ten."""
    return f"{database_name(database_url)}_migrated"


def _maintenance(database_url: str, *statements: str) -> None:
    import psycopg

    parts = urlsplit(database_url)
    maintenance = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def analyze() -> None:
    """ANALYZE after seeding, so the planner sees the tables as they are."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def setup(database_url: str, *, keep_template: bool = False) -> str:
    """A fresh, migrated bench database and Django set up on it; returns the name. With
    `keep_template`, a copy of it is kept (migrated_template) for Context.fresh_database;
    drop_template() removes it."""
    database = fresh_database(database_url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    global _pristine, _template_kept
    if keep_template:
        connections.close_all()  # a template may have no other session
        template = migrated_template(database_url)
        _maintenance(
            database_url,
            f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)',
            f'CREATE DATABASE "{template}" TEMPLATE "{database}"',
        )
    _pristine, _template_kept = True, keep_template
    return database


def drop_template(database_url: str) -> None:
    _maintenance(
        database_url, f'DROP DATABASE IF EXISTS "{migrated_template(database_url)}" WITH (FORCE)'
    )


# Whether the bench database is as setup() left it: the first group seeds it as it is.
_pristine = False
# Whether setup() kept a migrated copy to start later groups from.
_template_kept = False


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


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# --- one run of every group (bench/run.py) --------------------------------------------------


@dataclass
class Context:
    """What a group's `part(ctx)` gets from bench/run.py."""

    sizes: dict  # this group's parameters (run.py's SIZES: full or --tiny)
    tiny: bool
    log_dir: Path
    label: str = ""  # "2/4 serving", for the progress line
    started: float = field(default_factory=time.monotonic)

    def progress(self, text: str) -> None:
        """The progress line: elapsed seconds, the group, what it does now, the load."""
        elapsed = time.monotonic() - self.started
        load = os.getloadavg()[0]
        print(f"[{elapsed:6.0f} s] {self.label}: {text}  (load {load:.1f})", flush=True)

    def fresh_database(self) -> None:
        """An empty, migrated bench database and none of the run's Redis keys: each group
        seeds its own data (the ids restart, so cached feeds of the last group must go)."""
        from django.core.management import call_command
        from django.db import connections

        global _pristine
        if _pristine:
            _pristine = False
            return
        connections.close_all()
        database_url = os.environ["DATABASE_URL"]
        template = migrated_template(database_url) if _template_kept else None
        fresh_database(database_url, template=template)
        cleanup_redis()
        if template is None:
            call_command("migrate", verbosity=0)


def check(name: str, value, unit: str = "", goal: tuple[str, float] | None = None) -> dict:
    """One row of the report: `value` next to its goal, (">=", floor) or ("<=", ceiling)
    or ("==", exact); without a goal, a measured figure only."""
    row = {"name": name, "value": value, "unit": unit, "goal": None, "passed": None}
    if goal is not None:
        op, target = goal
        row["goal"] = [op, target]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            row["passed"] = False
        else:
            row["passed"] = {">=": value >= target, "<=": value <= target, "==": value == target}[
                op
            ]
    return row


def quantiles(values: list[float]) -> list[list[float]]:
    """[[percentile, value], ...] at 0, 1, ..., 99, 99.9 and 100 (nearest rank), the form
    the latency charts draw; empty for no values."""
    if not values:
        return []
    ordered = sorted(values)
    points = [*range(100), 99.9, 100]
    return [
        [p, round(ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))], 3)]
        for p in points
    ]


def rate(value: float, unit: str) -> dict:
    return {"value": value, "unit": unit}


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
