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

import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common
from common import ROOT, RUN

# --- data ----------------------------------------------------------------------------------


def seed(followers: int, followees: int, tweets_each: int):
    """An author with `followers` followers; a reader following `followees` authors who
    posted `tweets_each` tweets each (through the services, fanned out in-process)."""
    return seed_author(followers), seed_reader(followees, tweets_each)


def seed_author(followers: int):
    """An author with `followers` followers (in bulk)."""
    from accounts.models import User
    from friendships.models import Friendship

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
    return author


def seed_reader(followees: int, tweets_each: int):
    """A reader following `followees` authors who posted `tweets_each` tweets each (through
    the services, fanned out in-process)."""
    from accounts.models import User
    from config.celery import app
    from friendships.services import follow_user
    from tweets.services import create_tweet

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
    return reader


# --- the worker ----------------------------------------------------------------------------


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
        stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=common.die_with_parent,
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


def measure_fanouts(author, followers: int, repeats: int, progress=print) -> dict:
    """`repeats` tweets, one after the other, each timed as `measure_fanout` does: the
    median run and every run's seconds."""
    runs = []
    for n in range(repeats):
        runs.append(measure_fanout(author, followers, text=f"tweet {n} for every follower"))
        progress(f"fan-out {n + 1}/{repeats}: {runs[-1]['seconds']} s")
    median = statistics.median(run["seconds"] for run in runs)
    return {
        **runs[0],
        "tweet_ids": [run["tweet_id"] for run in runs],
        "runs_seconds": [run["seconds"] for run in runs],
        "seconds": round(median, 3),
        "rows_per_second": round(followers / median),
    }


def measure_fanout(author, followers: int, text: str = "one tweet for ten thousand feeds") -> dict:
    from django.conf import settings

    from newsfeeds.models import Fanout, FanoutBatch, NewsFeed
    from tweets.services import create_tweet

    started = time.perf_counter()
    tweet = create_tweet(author=author, text=text)
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


def cold_caches(user_id: int) -> None:
    """Forget the user's cached feed and every cached tweet rendering: the next page is
    read as a first read is."""
    from core.redis import get_redis
    from newsfeeds import cache

    cache.invalidate([user_id])
    client = get_redis()
    for key in client.scan_iter(match=f"*bench-{RUN}*:tweet:*", count=1000):
        client.delete(key)


def queries_of(client, path: str) -> int:
    """SQL queries of one request (DEBUG stays off: the context captures them anyway)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.content)
    return len(captured.captured_queries)


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
            cold_caches(reader.pk)
            cold_queries = queries_of(client, path)
        warm_queries = queries_of(client, path)
        latencies = []
        deadline = time.perf_counter() + max_seconds
        started = time.perf_counter()
        cpu_started = time.process_time()
        for _ in range(requests):
            begin = time.perf_counter()
            response = client.get(path)
            latencies.append(time.perf_counter() - begin)
            assert response.status_code == 200
            if begin > deadline:
                break
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        latencies.sort()
        results[label] = {
            "path": path,
            "requests": len(latencies),
            "seconds": round(elapsed, 3),
            "requests_per_second": round(len(latencies) / elapsed, 1),
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
            "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 2),
            # This process's own CPU per request (not PostgreSQL's or Redis's): unlike the
            # latencies, a busy machine slows it down little.
            "cpu_ms_per_request": round(cpu * 1000 / len(latencies), 2),
            "queries_warm": warm_queries,
            "quantiles_ms": common.quantiles([t * 1000 for t in latencies]),
        }
    results["newsfeed"]["items_per_page"] = items
    results["newsfeed"]["queries_cold"] = cold_queries
    return results


def part(ctx) -> dict:
    """`make bench`'s fan-out figures: a tweet to `followers` followers through one worker
    (2 processes, as compose runs it), `repeats` times, against the server-side
    `INSERT ... SELECT` floor into the same table shape."""
    sizes = ctx.sizes
    ctx.fresh_database()
    ctx.progress(f"seeding an author with {sizes['followers']:,} followers")
    author = seed_author(sizes["followers"])
    common.analyze()
    worker = start_worker(sizes["concurrency"], ctx.log_dir / "fanout-worker.log")
    try:
        fanout = measure_fanouts(author, sizes["followers"], sizes["repeats"], ctx.progress)
    finally:
        stop_worker(worker)
    ctx.progress("the floor: INSERT ... SELECT of the same rows")
    raw = measure_raw_insert(author, fanout["tweet_ids"][0], sizes["followers"])
    side = measure_batch_side_effects(author, fanout["tweet_ids"][0])
    ratio = round(fanout["rows_per_second"] / raw["rows_per_second"], 2)
    followers = f"{sizes['followers']:,}"
    return {
        "figures": {"fanout": fanout, "raw_insert": raw, "batch_side_effects": side,
                    "fanout_to_floor": ratio, "worker_concurrency": sizes["concurrency"]},
        "checks": [
            common.check("fan-out rows/s / INSERT ... SELECT floor's", ratio, "", (">=", 0.8)),
            common.check(f"fan-out of {followers} followers, p50 of {sizes['repeats']}",
                         fanout["seconds"], "s", ("<=", 0.5)),
            common.check("fan-out rate", fanout["rows_per_second"], "rows/s"),
            common.check("INSERT ... SELECT floor", raw["rows_per_second"], "rows/s"),
        ],
        "throughput": {
            "fan-out (worker)": common.rate(fanout["rows_per_second"], "rows/s"),
            "INSERT ... SELECT floor": common.rate(raw["rows_per_second"], "rows/s"),
        },
    }  # fmt: skip


def add_arguments(parser) -> None:
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2,
                        help="worker processes of the one Celery worker (default: nproc)")  # fmt: skip
    parser.add_argument("--requests", type=int, default=500, help="per endpoint")
    parser.add_argument("--max-seconds", type=float, default=60, help="per endpoint")
    parser.add_argument("--followees", type=int, default=20, help="authors the reader follows")
    parser.add_argument("--tweets-each", type=int, default=10)


def run(args) -> dict:
    env = common.configure_environment()
    database = common.setup(env["DATABASE_URL"])
    print(f"bench database {database}: seeding {args.followers} followers ...")
    author, reader = seed(args.followers, args.followees, args.tweets_each)
    info = common.machine()

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
    common.cleanup_redis()

    result = {
        "benchmark": "fanout",
        "date": common.now(),
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
    path = common.write_results("fanout", result)

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
        ("  CPU of this process per request: newsfeed, /me/", "",
         f"{reads['newsfeed']['cpu_ms_per_request']} ms", f"{reads['me']['cpu_ms_per_request']} ms"),
    ]  # fmt: skip
    print()
    print(common.describe_machine(info))
    print(f"worker: one node, prefork, concurrency {args.concurrency}; "
          f"{fanout['batches']} batches of {fanout['batch_size']}")  # fmt: skip
    for name, amount, took, rate in rows:
        print(f"{name:<50} {amount:>12} {took:>14} {rate:>18}")
    print(f"\nresults: {path.relative_to(ROOT)}")
    return result


if __name__ == "__main__":
    common.main(sys.modules[__name__])
