"""Fan-out and feed-read benchmark: `make bench` (or `.venv/bin/python bench/fanout.py`).

Measures, in one run on one machine (docs/benchmarks.md explains how to read the figures):

1. fan-out: one tweet posted through tweets.services.create_tweet by an author with
   --followers followers, delivered by one real Celery worker (prefork, --concurrency
   processes) through the Redis broker, timed from the post until its Fanout row is done;
2. the floor under it: a raw `INSERT ... SELECT` of the same rows (one per follower) into a
   scratch copy of the NewsFeed table (same columns, indexes, unique key and foreign keys),
   in one statement and one transaction;
3. where the fan-out's time goes beyond the insert: the feed-cache push and the real-time
   push of one batch's worth of ids, timed in this process;
4. reads: GET /api/v1/newsfeed/ (a full page, 20 followed authors) against GET /api/v1/me/
   (a trivial authenticated endpoint), through the whole Django stack in this process
   (django.test.Client: middleware, JWT auth, DRF; no network, no server), sequentially.

Services: PostgreSQL from DATABASE_URL (default postgres://postgres@127.0.0.1:5432/chirp_bench)
and Redis from REDIS_URL (default redis://127.0.0.1:6379/0). The database is DROPPED and
created afresh, so its name must contain "bench". The broker is REDIS_URL's server,
database 11 (or CELERY_BROKER_URL), on a queue of this run's own; cache keys carry a
prefix of this run's own and are deleted at the end. Results: a table on stdout and
bench/results/fanout-<UTC date and time>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
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


def redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def configure_environment() -> dict[str, str]:
    """Environment of this process and of the worker, set before Django loads settings
    (variables already set win, except those that keep the run isolated and measurable)."""
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL") or redis_db(redis_url, BROKER_DB),
        "CELERY_TASK_DEFAULT_QUEUE": f"bench-{RUN}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CACHE_KEY_PREFIX": f"bench-{RUN}",
        "CHANNEL_LAYER_PREFIX": f"bench-{RUN}",
        # Production-like: DEBUG off (no query log kept per request), throttles off.
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "THROTTLE_ENABLED": "false",
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


# --- data ----------------------------------------------------------------------------------


def seed(followers: int, followees: int, tweets_each: int):
    """An author with `followers` followers; a reader following `followees` authors who
    posted `tweets_each` tweets each (through the services, fanned out in-process)."""
    from accounts.models import User
    from config.celery import app
    from friendships.models import Friendship
    from friendships.services import follow_user
    from tweets.services import create_tweet

    author = User.objects.create_user(username="bench_author", email="author@bench.invalid")
    users = User.objects.bulk_create(
        [User(username=f"bench_f{n}", password="!", following_count=1) for n in range(followers)],
        batch_size=5000,
    )
    Friendship.objects.bulk_create(
        [Friendship(follower_id=user.pk, followee=author) for user in users], batch_size=10_000
    )
    User.objects.filter(pk=author.pk).update(followers_count=followers)
    author.refresh_from_db()

    reader = User.objects.create_user(username="bench_reader", email="reader@bench.invalid")
    app.conf.task_always_eager = True  # the reader's feed is set up, not measured
    try:
        for n in range(followees):
            followee = User.objects.create_user(username=f"bench_a{n}", email="")
            follow_user(follower=reader, username=followee.username)
            for t in range(tweets_each):
                create_tweet(author=followee, text=f"tweet {t} by {followee.username} #bench")
    finally:
        app.conf.task_always_eager = False
    return author, reader


# --- the worker ----------------------------------------------------------------------------


def die_with_parent() -> None:
    """In the worker, before exec (Linux): SIGTERM when this benchmark process dies."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_worker(concurrency: int, log_path: Path) -> subprocess.Popen:
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A", "config", "worker", "-l", "info", "-P", "prefork", "-c", str(concurrency),
            "-Q", os.environ["CELERY_TASK_DEFAULT_QUEUE"], "-n", f"bench-{RUN}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ],
        cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while " ready." not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_worker(process)
            sys.exit(f"the Celery worker did not start; its log: {log_path}")
        time.sleep(0.1)
    return process


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=20)


# --- measurements ----------------------------------------------------------------------------


def measure_fanout(author, followers: int) -> dict:
    from django.conf import settings

    from newsfeeds.models import Fanout, FanoutBatch, NewsFeed
    from tweets.services import create_tweet

    started = time.perf_counter()
    tweet = create_tweet(author=author, text="one tweet for ten thousand feeds")
    posted = time.perf_counter()
    deadline = started + 600
    while not Fanout.objects.filter(tweet=tweet, status=Fanout.DONE).exists():
        if time.perf_counter() > deadline:
            sys.exit("the fan-out did not finish within 10 minutes")
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    rows = NewsFeed.objects.filter(tweet=tweet).exclude(user=author).count()
    assert rows == followers, f"{rows} feed rows for {followers} followers"
    return {
        "tweet_id": tweet.pk,
        "rows": rows,
        "batch_size": settings.NEWSFEED_FANOUT_BATCH_SIZE,
        "batches": FanoutBatch.objects.filter(fanout_id=tweet.pk).count(),
        "post_seconds": round(posted - started, 4),
        "seconds": round(elapsed, 3),
        "rows_per_second": round(rows / elapsed),
    }


def measure_raw_insert(author, tweet_id: int, followers: int, repeats: int = 3) -> dict:
    """INSERT ... SELECT of one row per follower into a scratch copy of the NewsFeed table."""
    from django.db import connection, transaction

    from newsfeeds.models import NewsFeed

    table = NewsFeed._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_newsfeed_scratch")
        cursor.execute(f"CREATE TABLE bench_newsfeed_scratch (LIKE {table} INCLUDING ALL)")
        for column, target in (("user_id", "accounts_user"), ("tweet_id", "tweets_tweet"),
                               ("author_id", "accounts_user")):  # fmt: skip
            cursor.execute(
                f"ALTER TABLE bench_newsfeed_scratch ADD FOREIGN KEY ({column}) "
                f"REFERENCES {target} (id) DEFERRABLE INITIALLY DEFERRED"
            )
    timings = []
    for _ in range(repeats):
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE bench_newsfeed_scratch")
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_newsfeed_scratch (user_id, tweet_id, author_id, created_at) "
                "SELECT follower_id, %s, %s, now() FROM friendships_friendship "
                "WHERE followee_id = %s",
                [tweet_id, author.pk, author.pk],
            )
            assert cursor.rowcount == followers
        timings.append(time.perf_counter() - started)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_newsfeed_scratch")
    median = statistics.median(timings)
    return {
        "rows": followers,
        "runs_seconds": [round(t, 4) for t in timings],
        "seconds": round(median, 4),
        "rows_per_second": round(followers / median),
    }


def measure_batch_side_effects(author, tweet_id: int) -> dict:
    """What each fan-out batch does besides its INSERT, for one batch of followers."""
    from django.conf import settings

    from core.realtime import send_now
    from friendships.models import Friendship
    from newsfeeds import cache

    ids = list(
        Friendship.objects.filter(followee=author)
        .order_by("follower_id")
        .values_list("follower_id", flat=True)[: settings.NEWSFEED_FANOUT_BATCH_SIZE]
    )
    started = time.perf_counter()
    cache.push(tweet_id, ids)
    pushed = time.perf_counter()
    send_now(ids, {"type": "newsfeed", "tweet_id": tweet_id})
    sent = time.perf_counter()
    return {
        "users": len(ids),
        "cache_push_seconds": round(pushed - started, 4),
        "realtime_push_seconds": round(sent - pushed, 4),
    }


def measure_reads(reader, requests: int, max_seconds: float) -> dict:
    from django.test import Client
    from rest_framework_simplejwt.tokens import RefreshToken

    token = str(RefreshToken.for_user(reader).access_token)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT="application/json")
    results = {}
    for label, path in (("me", "/api/v1/me/"), ("newsfeed", "/api/v1/newsfeed/")):
        for _ in range(20):  # warm up: connections, caches (the feed cache included)
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code, response.content)
        if label == "newsfeed":
            items = len(response.json()["results"])
        latencies = []
        deadline = time.perf_counter() + max_seconds
        started = time.perf_counter()
        for _ in range(requests):
            begin = time.perf_counter()
            response = client.get(path)
            latencies.append(time.perf_counter() - begin)
            assert response.status_code == 200
            if begin > deadline:
                break
        elapsed = time.perf_counter() - started
        latencies.sort()
        results[label] = {
            "path": path,
            "requests": len(latencies),
            "seconds": round(elapsed, 3),
            "requests_per_second": round(len(latencies) / elapsed, 1),
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
            "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 2),
        }
    results["newsfeed"]["items_per_page"] = items
    return results


def cleanup_redis() -> None:
    import redis

    from core.redis import get_redis

    cache_client = get_redis()
    for key in cache_client.scan_iter(match=f"*bench-{RUN}*"):
        cache_client.delete(key)
    broker = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    for key in broker.scan_iter(match=f"*bench-{RUN}*"):
        broker.delete(key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2,
                        help="worker processes of the one Celery worker (default: nproc)")  # fmt: skip
    parser.add_argument("--requests", type=int, default=500, help="per endpoint")
    parser.add_argument("--max-seconds", type=float, default=60, help="per endpoint")
    parser.add_argument("--followees", type=int, default=20, help="authors the reader follows")
    parser.add_argument("--tweets-each", type=int, default=10)
    args = parser.parse_args()

    env = configure_environment()
    sys.path.insert(0, str(ROOT))
    database = fresh_database(env["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command

    print(f"bench database {database}: migrating and seeding {args.followers} followers ...")
    call_command("migrate", verbosity=0)
    author, reader = seed(args.followers, args.followees, args.tweets_each)
    info = machine()

    log_path = Path(tempfile.gettempdir()) / f"chirp-bench-worker-{RUN}.log"
    worker = start_worker(args.concurrency, log_path)
    try:
        print("fan-out through the worker ...")
        fanout = measure_fanout(author, args.followers)
    finally:
        stop_worker(worker)
    print("raw insert, side effects, reads ...")
    raw = measure_raw_insert(author, fanout["tweet_id"], args.followers)
    side = measure_batch_side_effects(author, fanout["tweet_id"])
    reads = measure_reads(reader, args.requests, args.max_seconds)
    cleanup_redis()

    result = {
        "benchmark": "fanout",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "make bench",
        "machine": info,
        "parameters": {
            **vars(args),
            "database": database,
            "broker": env["CELERY_BROKER_URL"],
            "worker": f"celery worker -P prefork -c {args.concurrency} (one node)",
        },
        "fanout": fanout,
        "raw_insert": raw,
        "batch_side_effects": side,
        "reads": reads,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    path = RESULTS / f"fanout-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")

    rows = [
        ("fan-out, worker (post -> Fanout done)", f"{fanout['rows']} rows",
         f"{fanout['seconds']:.2f} s", f"{fanout['rows_per_second']:,} rows/s"),
        ("raw INSERT ... SELECT, same rows", f"{raw['rows']} rows",
         f"{raw['seconds']:.3f} s", f"{raw['rows_per_second']:,} rows/s"),
        (f"  per batch: feed-cache push ({side['users']} ids)", "",
         f"{side['cache_push_seconds']:.3f} s", ""),
        (f"  per batch: real-time push ({side['users']} users)", "",
         f"{side['realtime_push_seconds']:.3f} s", ""),
        (f"GET /api/v1/newsfeed/ ({reads['newsfeed']['items_per_page']} items)",
         f"{reads['newsfeed']['requests']} req", f"p50 {reads['newsfeed']['p50_ms']} ms",
         f"{reads['newsfeed']['requests_per_second']} req/s"),
        ("GET /api/v1/me/", f"{reads['me']['requests']} req", f"p50 {reads['me']['p50_ms']} ms",
         f"{reads['me']['requests_per_second']} req/s"),
    ]  # fmt: skip
    print()
    print(
        f"machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory_gib']} GiB, "
        f"PostgreSQL {info['postgresql']}, Redis {info['redis']}, load {info['load_average_at_start']}"
    )
    print(f"worker: one node, prefork, concurrency {args.concurrency}; "
          f"{fanout['batches']} batches of {fanout['batch_size']}")  # fmt: skip
    for name, amount, took, rate in rows:
        print(f"{name:<50} {amount:>12} {took:>14} {rate:>18}")
    print(f"\nresults: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    main()
