"""Real-time benchmark: `.venv/bin/python bench/sockets.py` (docs/benchmarks.md#sockets).

On the production arrangement (docker-compose.yml's web service and --ws-processes ws
services, through tests/integration/servers.py) with a Celery worker as compose runs it,
--sockets WebSocket clients (one per follower of one author, spread evenly over the ws
processes) stay open while this measures:

1. memory: the ws processes' resident memory before and after the sockets opened, per socket;
2. `newsfeed` events: --tweets times, the author posts over HTTP; every follower's socket
   should get the event (the worker's fan-out pushes it): arrivals counted, latency from
   the POST's response to each arrival;
3. notifications: --likes times, one user likes a tweet of the next follower; that
   follower's socket gets the `notification`: latency from the request being sent, and
   from the notification's `created_at` (written inside the like's transaction, so an upper
   bound on the time since commit; one clock, one machine);
4. every socket closing at once: seconds until presence (core.presence) and the
   channel-layer groups are empty, and what the ws processes logged (tracebacks, errors,
   drops) meanwhile.

Services and isolation as bench/fanout.py (DATABASE_URL, default .../chirp_bench, DROPPED and
created afresh; REDIS_URL; keys of this run's own, deleted at the end). Results: a table on
stdout and bench/results/sockets-<UTC date and time>.json. `measure()` runs the figures on
an already set-up run (bench/common.py) for a combined report.

Raises the open-files limit to what 1,000+ sockets need (both ends run on this machine).
"""

from __future__ import annotations

import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import common
from common import ROOT

BREAKDOWN = ("tweet_to_fanout_done_ms", "fanout_done_to_first_ms", "first_to_last_ms")
LOG_PROBLEMS = ("Traceback", "MaxConnectionsError", "ERROR", "event deliveries dropped")


def add_arguments(parser) -> None:
    parser.add_argument("--sockets", type=int, default=1000, help="open sockets (followers)")
    parser.add_argument("--ws-processes", type=int, default=2)
    parser.add_argument("--tweets", type=int, default=10, help="newsfeed rounds")
    parser.add_argument("--likes", type=int, default=200, help="notifications timed")
    parser.add_argument("--worker-concurrency", type=int, default=2,
                        help="Celery pool processes (docker-compose.yml's: 2)")  # fmt: skip
    parser.add_argument("--proxy", action="store_true",
                        help="clients through nginx (deploy/nginx.conf), as make bench runs it")  # fmt: skip


def raise_open_files_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < needed:
        sys.exit(f"{needed} open files are needed; raise the hard limit (ulimit -Hn)")


def seed(sockets: int, likes: int):
    """An author with `sockets` followers, a tweet by each of the first `likes` followers,
    and a liker."""
    from accounts.models import User
    from friendships.models import Friendship
    from tweets.models import Tweet

    author = User.objects.create_user(username="bench_author", email="")
    liker = User.objects.create_user(username="bench_liker", email="")
    followers = User.objects.bulk_create(
        [User(username=f"bench_f{n}", password="!", following_count=1) for n in range(sockets)],
        batch_size=5000,
    )
    Friendship.objects.bulk_create([Friendship(follower=f, followee=author) for f in followers])
    User.objects.filter(pk=author.pk).update(followers_count=sockets)
    tweets = Tweet.objects.bulk_create(
        [Tweet(user=follower, text=f"liked {n}") for n, follower in enumerate(followers[:likes])]
    )
    return author, liker, followers, tweets


def summary(values: list[float]) -> dict:
    from tests.integration.sockets import percentile

    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values), 1),
        "p90_ms": round(percentile(values, 0.90), 1),
        "p99_ms": round(percentile(values, 0.99), 1),
        "max_ms": round(max(values), 1),
        "quantiles_ms": common.quantiles(values),
    }


def measure(args, log_dir: Path) -> dict:
    """The figures, on a migrated, empty bench database (common.setup)."""
    import os

    import fanout
    import requests
    from rest_framework_simplejwt.tokens import AccessToken

    from tests.integration import servers as s
    from tests.integration.sockets import (
        SocketSwarm,
        cpu_seconds,
        group_members,
        online_counts,
        resident_kib,
    )

    raise_open_files_limit(2 * args.sockets + 1024)
    author, liker, followers, tweets = seed(args.sockets, args.likes)
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    redis_url, cache_prefix = env["REDIS_URL"], env["CACHE_KEY_PREFIX"]
    channel_prefix = env["CHANNEL_LAYER_PREFIX"]
    servers = s.start_production(env, log_dir, ws_processes=args.ws_processes)
    worker = None
    result: dict = {}
    try:
        if args.proxy:  # nginx spreads the sockets over the ws processes (round robin)
            s.start_proxy(servers, log_dir, worker_connections=2 * args.sockets + 1024)
        worker = fanout.start_worker(args.worker_concurrency, log_dir / "worker.log")
        ws = servers.ws_servers
        api = f"{servers.http_url}/api/v1"
        author_http, liker_http = requests.Session(), requests.Session()
        author_http.headers["Authorization"] = f"Bearer {AccessToken.for_user(author)}"
        liker_http.headers["Authorization"] = f"Bearer {AccessToken.for_user(liker)}"
        urls = [
            f"{servers.ws_url if args.proxy else f'ws://127.0.0.1:{ws[n % len(ws)].port}'}"
            f"/ws/stream/?token={AccessToken.for_user(f)}"
            for n, f in enumerate(followers)
        ]
        with SocketSwarm() as swarm:
            before = {server.name: resident_kib(server.process.pid) for server in ws}
            print(f"opening {args.sockets} sockets over {len(ws)} ws processes ...")
            started = time.monotonic()
            clients = swarm.open(urls)
            opened = time.monotonic() - started
            time.sleep(2)  # let allocations settle
            after = {server.name: resident_kib(server.process.pid) for server in ws}
            grown = sum(after.values()) - sum(before.values())
            result["memory"] = {
                "resident_kib_before": before,
                "resident_kib_after": after,
                "kib_per_socket": round(grown / args.sockets, 1),
                "open_seconds": round(opened, 2),
                "connects_retried_after_4503": swarm.retries,
            }
            print(f"  {result['memory']}")
            result["presence_exact"] = online_counts(redis_url, cache_prefix) == {
                f.pk: 1 for f in followers
            }

            # Warm-up: the first fan-out also opens the worker's connections.
            post_and_wait(author_http, api, swarm, clients, "warm-up")
            rounds, latencies = [], []
            cpu_before = sum(cpu_seconds(server.process.pid) for server in ws)
            for n in range(args.tweets):
                answered, arrivals = post_and_wait(author_http, api, swarm, clients, f"tweet {n}")
                values = [(arrived - answered) * 1000 for _, arrived, _, _ in arrivals]
                latencies += values
                figures = summary(values)
                figures.pop("quantiles_ms", None)  # the distribution is the rounds' together
                rounds.append({"arrived": len(arrivals), **figures, **where_time_went(arrivals)})
                print(f"  newsfeed {n + 1}/{args.tweets}: {rounds[-1]}")
                time.sleep(0.5)
            ws_cpu = sum(cpu_seconds(server.process.pid) for server in ws) - cpu_before
            result["newsfeed"] = {
                # The ws processes' CPU per event delivered (the rounds' pauses included:
                # idle sockets cost a little too), whatever else the machine was running.
                "ws_cpu_ms_per_delivery": round(ws_cpu * 1000 / (args.tweets * args.sockets), 3),
                "sockets": args.sockets,
                "rounds": rounds,
                "arrived_per_round": [r["arrived"] for r in rounds],
                "all_arrived": all(r["arrived"] == args.sockets for r in rounds),
                "after_response": summary(latencies),
                "median_breakdown_ms": {
                    part: round(statistics.median(r[part] for r in rounds if part in r), 1)
                    for part in BREAKDOWN
                },
            }

            from_request, from_commit, missing = [], [], 0
            for n, tweet in enumerate(tweets):
                client = clients[n]
                sent = time.monotonic()
                response = liker_http.post(f"{api}/tweets/{tweet.pk}/like/", timeout=30)
                assert response.status_code == 200, response.text
                found = swarm.wait_for(is_like_of(tweet.pk), [client], timeout=10)
                if not found:
                    missing += 1
                    continue
                _, arrived, wall, event = found[0]
                created = datetime.fromisoformat(event["notification"]["created_at"])
                from_request.append((arrived - sent) * 1000)
                from_commit.append((wall - created.timestamp()) * 1000)
            result["notifications"] = {
                "likes": len(tweets),
                "missing": missing,
                "from_request": summary(from_request),
                "from_created_at": summary(from_commit),
            }
            print(f"  notifications: {len(tweets) - missing} of {len(tweets)}, p50 "
                  f"{result['notifications']['from_request'].get('p50_ms')} ms from the request")  # fmt: skip

            print(f"closing {args.sockets} sockets at once ...")
            closed = swarm.close_all()
            started = time.monotonic()
            deadline = started + 60
            while time.monotonic() < deadline:
                online = online_counts(redis_url, cache_prefix)
                groups = group_members(redis_url, channel_prefix)
                if not online and not groups:
                    break
                time.sleep(0.05)
            logs = {server.name: server.log() for server in ws}
            result["mass_close"] = {
                "close_seconds": round(closed, 2),
                "clean_seconds": round(time.monotonic() - started, 2),
                "users_still_online": len(online),
                "groups_with_channels": len(groups),
                "log_problems": {
                    name: {word: log.count(word) for word in LOG_PROBLEMS if word in log}
                    for name, log in logs.items()
                },
            }
            print(f"  {result['mass_close']}")
    finally:
        if worker is not None:
            fanout.stop_worker(worker)
        servers.stop()
    result["arrangement"] = {
        "formula": servers.formula,
        "ws_processes": args.ws_processes,
        "worker_concurrency": args.worker_concurrency,
        "proxy": "nginx (deploy/nginx.conf)" if args.proxy else None,
    }
    return result


def is_like_of(tweet_id: int):
    return lambda event: (
        event["type"] == "notification"
        and event["notification"]["verb"] == "liked_tweet"
        and event["notification"]["tweet"]["id"] == tweet_id
    )


def where_time_went(arrivals) -> dict:
    """For one tweet's events: from its POST's commit (the tweet's created_at, in the
    transaction) to the worker's last batch committing (the Fanout's completed_at, likewise),
    then to the first and the last socket's arrival. Wall clocks of one machine."""
    from newsfeeds.models import Fanout

    if not arrivals:
        return {}
    tweet_id = arrivals[0][3]["tweet_id"]
    fanout = Fanout.objects.select_related("tweet").get(tweet_id=tweet_id)
    walls = sorted(wall for _, _, wall, _ in arrivals)
    done = fanout.completed_at.timestamp()
    return {
        "tweet_to_fanout_done_ms": round((done - fanout.tweet.created_at.timestamp()) * 1000, 1),
        "fanout_done_to_first_ms": round((walls[0] - done) * 1000, 1),
        "first_to_last_ms": round((walls[-1] - walls[0]) * 1000, 1),
    }


def post_and_wait(session, api: str, swarm, clients, text: str):
    """Post a tweet as the author; wait (up to 20 s) for its event on every socket.
    Returns the moment the response arrived and the arrivals."""
    response = session.post(f"{api}/tweets/", json={"text": text}, timeout=30)
    answered = time.monotonic()
    assert response.status_code == 201, response.text
    tweet_id = response.json()["id"]
    wanted = {"type": "newsfeed", "tweet_id": tweet_id}
    return answered, swarm.wait_for(lambda event: event == wanted, clients, timeout=20)


def report(result: dict) -> None:
    figures = result["figures"]
    memory, feed = figures["memory"], figures["newsfeed"]
    notes, close = figures["notifications"], figures["mass_close"]
    goal = "goal"
    rows = [
        ("sockets open", f"{feed['sockets']} over {figures['arrangement']['ws_processes']} ws"),
        ("memory per open socket", f"{memory['kib_per_socket']} KiB"),
        ("newsfeed arrivals per tweet", f"{feed['arrived_per_round']}  ({goal}: all)"),
        ("newsfeed p50 after the POST", f"{feed['after_response']['p50_ms']} ms  ({goal} <= 200)"),
        ("newsfeed p99 after the POST", f"{feed['after_response']['p99_ms']} ms  ({goal} <= 500)"),
        ("newsfeed: ws CPU per delivered event", f"{feed['ws_cpu_ms_per_delivery']} ms"),
        ("  median: tweet -> fan-out done -> 1st -> last socket",
         " / ".join(f"{value} ms" for value in feed["median_breakdown_ms"].values())),
        ("notification p50 from created_at",
         f"{notes['from_created_at']['p50_ms']} ms  ({goal} <= 20 from commit)"),
        ("notification p99 from the request",
         f"{notes['from_request']['p99_ms']} ms  ({goal} <= 100)"),
        ("notifications missing", str(notes["missing"])),
        ("mass close: clean after", f"{close['clean_seconds']} s"),
        ("mass close: still online / groups left",
         f"{close['users_still_online']} / {close['groups_with_channels']}"),
        ("ws logs: problems", str(close["log_problems"])),
    ]  # fmt: skip
    print(f"\n{common.describe_machine(result['machine'])}")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


def part(ctx) -> dict:
    """`make bench`'s real-time figures, through nginx in front of the ws processes."""
    from argparse import Namespace

    sizes = ctx.sizes
    ctx.fresh_database()
    ctx.progress(f"{sizes['sockets']} sockets over {sizes['ws_processes']} ws processes, "
                 f"{sizes['tweets']} tweets, {sizes['likes']} likes")  # fmt: skip
    args = Namespace(**sizes, proxy=True)
    figures = measure(args, ctx.log_dir)
    memory, feed = figures["memory"], figures["newsfeed"]
    notes, close = figures["notifications"], figures["mass_close"]
    problems = sum(sum(counts.values()) for counts in close["log_problems"].values())
    arrived = sum(feed["arrived_per_round"])
    expected = sizes["sockets"] * sizes["tweets"]
    return {
        "figures": figures,
        "checks": [
            common.check(
                f"newsfeed events arrived (of {expected:,})", arrived, "", ("==", expected)
            ),
            common.check(
                "newsfeed event p50 after the POST",
                feed["after_response"]["p50_ms"],
                "ms",
                ("<=", 200),
            ),
            common.check(
                "newsfeed event p99 after the POST",
                feed["after_response"]["p99_ms"],
                "ms",
                ("<=", 500),
            ),
            common.check(
                "notification p50 from its created_at (>= from commit)",
                notes["from_created_at"].get("p50_ms"),
                "ms",
                ("<=", 20),
            ),
            common.check(
                "notification p99 from the request",
                notes["from_request"].get("p99_ms"),
                "ms",
                ("<=", 100),
            ),
            common.check("notifications missing", notes["missing"], "", ("==", 0)),
            common.check("mass close: errors logged", problems, "", ("==", 0)),
            common.check(
                "mass close: users left online + groups left",
                close["users_still_online"] + close["groups_with_channels"],
                "",
                ("==", 0),
            ),
            common.check("memory per open socket", memory["kib_per_socket"], "KiB"),
        ],
        "distributions": {
            "socket: newsfeed event after the POST": feed["after_response"].get("quantiles_ms", []),
            "socket: notification from the request": notes["from_request"].get("quantiles_ms", []),
            "socket: notification from created_at": notes["from_created_at"].get(
                "quantiles_ms", []
            ),
        },
        "throughput": {},
    }


def run(args) -> dict:
    env = common.configure_environment()
    database = common.setup(env["DATABASE_URL"])
    info = common.machine()
    with tempfile.TemporaryDirectory(prefix="chirp-bench-sockets-") as tmp:
        figures = measure(args, Path(tmp))
    common.cleanup_redis()
    result = {
        "benchmark": "sockets",
        "date": common.now(),
        "command": "python bench/sockets.py " + " ".join(sys.argv[1:]),
        "machine": info,
        "parameters": {**vars(args), "database": database},
        "figures": figures,
    }
    path = common.write_results("sockets", result)
    report(result)
    print(f"\nresults: {path.relative_to(ROOT)}")
    return result


if __name__ == "__main__":
    common.main(sys.modules[__name__])
