"""HTTP serving benchmark: `make bench-serve` (or `.venv/bin/python bench/serving.py`).

Starts the production arrangement (docker-compose.yml's web and ws command lines, through
tests/integration/servers.py) on PostgreSQL + Redis, on a seeded and ANALYZEd database,
and drives --clients concurrent clients (wrk, keep-alive) for --seconds on each of
/healthz, /api/v1/me/ and /api/v1/newsfeed/, every authenticated request as the next of
many users, after one request per user and path (caches warm; --cold skips it).
Meanwhile pg_stat_activity is sampled every 0.1 s. Then the same on `make run`'s server
(one daphne process), for comparison. With --candidates, also the arrangements the
production one was chosen against (docs/scaling.md).

Asserted for the production arrangement: zero 5xx and zero socket errors, and never more
PostgreSQL connections than its documented bound. Printed: req/s, p50 and p99 per path
and arrangement, and the largest connection count seen; all figures with the machine and
parameters go to bench/results/serving-<UTC date and time>.json.

Services: PostgreSQL from DATABASE_URL (default postgres://postgres@127.0.0.1:5432/chirp_bench;
the database is DROPPED and created afresh, so its name must contain "bench") and Redis
from REDIS_URL (default redis://127.0.0.1:6379/0; keys carry this run's prefix and are
deleted at the end). Needs wrk (`apt-get install wrk`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common
from common import ROOT

PATHS = ("/healthz", "/api/v1/me/", "/api/v1/newsfeed/")
WRK_SCRIPT = ROOT / "bench" / "wrk.lua"
WARM_UP_SECONDS = 5


def add_arguments(parser) -> None:
    parser.add_argument("--clients", type=int, default=64, help="concurrent connections")
    parser.add_argument("--seconds", type=int, default=60, help="per path and arrangement")
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--follows-each", type=int, default=50)
    parser.add_argument("--tweets-each", type=int, default=10)
    parser.add_argument("--likes-each", type=int, default=20)
    parser.add_argument("--tokens", type=int, default=500, help="distinct users sending requests")
    parser.add_argument("--candidates", action="store_true",
                        help="also measure the alternatives: gunicorn sync, uvicorn + pool")  # fmt: skip
    parser.add_argument("--web-concurrency", type=int,
                        help="gunicorn processes (default: docker-compose.yml's)")  # fmt: skip
    parser.add_argument("--web-threads", type=int,
                        help="threads per gunicorn process (default: docker-compose.yml's)")  # fmt: skip
    parser.add_argument("--cold", action="store_true",
                        help="do not read every user's feed once before measuring")  # fmt: skip
    parser.add_argument("--no-make-run", action="store_true",
                        help="skip the comparison with make run's daphne")  # fmt: skip


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit(
            "make bench-serve needs wrk, the HTTP load generator: "
            "apt-get install wrk (Debian/Ubuntu) or brew install wrk (macOS)"
        )
    return wrk


def mint_tokens(user_ids: list[int], path: Path) -> None:
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User

    users = User.objects.filter(pk__in=user_ids)
    path.write_text("".join(f"{AccessToken.for_user(user)}\n" for user in users))


def wrk(url: str, path: str, tokens: Path, clients: int, seconds: int) -> dict:
    """One wrk run; its summary (bench/wrk.lua's JSON) plus req/s."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [
            require_wrk(), "-t", "2", "-c", str(clients), "-d", f"{seconds}s", "--timeout", "30s",
            "-s", str(WRK_SCRIPT), url, "--", path, "-" if path == "/healthz" else str(tokens),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, env={**os.environ,
                       "WRK_OUT": out.name})  # fmt: skip
        summary = json.loads(Path(out.name).read_text())
    seconds_run = summary["duration_us"] / 1e6
    return {
        "requests": summary["requests"],
        "requests_per_second": round(summary["requests"] / seconds_run, 1),
        "p50_ms": round(summary["p50_us"] / 1000, 1),
        "p90_ms": round(summary["p90_us"] / 1000, 1),
        "p99_ms": round(summary["p99_us"] / 1000, 1),
        "max_ms": round(summary["max_us"] / 1000, 1),
        "status": summary["status"],
        "socket_errors": summary["socket_errors"],
        "quantiles_ms": [[p, round(us / 1000, 3)] for p, us in summary["percentiles_us"]],
    }


def cpu_seconds(servers) -> float:
    """CPU time (user + system) used so far by the servers' processes: each server runs in
    a process group of its own (Linux /proc). Per request, it is the server's cost, which a
    busy machine slows down but does not change much, unlike req/s."""
    groups = {server.process.pid for server in servers.servers}
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process just exited
        if int(fields[2]) in groups:  # pgrp
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def warm_every_user(url: str, path: str, tokens: Path) -> None:
    """One request per user before measuring: a feed read in steady state finds its
    user's feed and tweets cached (docs/fanout.md), as most reads do in production (a feed
    stays cached NEWSFEED_CACHE_TTL); a 5 s warm-up reaches only some of the users."""
    from concurrent.futures import ThreadPoolExecutor
    from urllib.request import Request, urlopen

    def get(token: str) -> None:
        request = Request(f"{url}{path}", headers={"Authorization": f"Bearer {token}"})
        with urlopen(request, timeout=60) as response:
            response.read()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(get, tokens.read_text().split()))


def measure(servers, tokens: Path, args, paths=PATHS, warm_up_seconds=WARM_UP_SECONDS) -> dict:
    """Every path on `servers` (warmed up first), connections sampled throughout."""
    from tests.integration.servers import sample_connections

    url = servers.http_url
    for path in paths:  # warm up: feed caches, connections, imports
        wrk(url, path, tokens, args.clients, warm_up_seconds)
        if path != "/healthz" and not args.cold:
            warm_every_user(url, path, tokens)
    figures = {}
    for path in paths:
        cpu_before = cpu_seconds(servers)
        with sample_connections() as connections:
            figures[path] = wrk(url, path, tokens, args.clients, args.seconds)
        cpu = cpu_seconds(servers) - cpu_before
        figures[path]["max_connections"] = connections.max
        figures[path]["server_cpu_seconds"] = round(cpu, 2)
        figures[path]["cpu_ms_per_request"] = round(
            1000 * cpu / max(figures[path]["requests"], 1), 2
        )
        print(f"  {path:<20} {figures[path]['requests_per_second']:>8} req/s  "
              f"p50 {figures[path]['p50_ms']} ms  p99 {figures[path]['p99_ms']} ms  "
              f"{figures[path]['cpu_ms_per_request']} CPU ms/req  {figures[path]['status']}  "
              f"connections <= {connections.max}")  # fmt: skip
    return {
        "connection_bound": servers.connection_bound,
        "formula": servers.formula,
        "max_connections": max(f["max_connections"] for f in figures.values()),
        "paths": figures,
    }


def part(ctx) -> dict:
    """`make bench`'s HTTP figures: `/api/v1/newsfeed/` against `/api/v1/me/` on the
    production arrangement behind nginx (deploy/nginx.conf), as deploy/ and the
    integration tier run it, on a seeded and ANALYZEd network, every user warmed."""
    from argparse import Namespace

    from tests.integration import servers as s

    require_wrk()
    sizes = ctx.sizes
    ctx.fresh_database()
    import seed

    ctx.progress(f"seeding {sizes['users']:,} users, {sizes['follows_each']} follows each")
    started = time.perf_counter()
    user_ids = seed.seed_network(users=sizes["users"], follows_each=sizes["follows_each"],
                                 tweets_each=sizes["tweets_each"], likes_each=sizes["likes_each"])  # fmt: skip
    data = {**seed.counts(), "seed_seconds": round(time.perf_counter() - started, 1)}
    tokens = ctx.log_dir / "tokens.txt"
    mint_tokens(user_ids[: sizes["tokens"]], tokens)
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    web_concurrency = compose_default("web", "WEB_CONCURRENCY")
    web_threads = compose_default("web", "WEB_THREADS")
    servers = s.start_production(env, ctx.log_dir, web_concurrency=web_concurrency,
                                 web_threads=web_threads,
                                 ws_pool_size=compose_default("ws", "DATABASE_POOL_SIZE"))  # fmt: skip
    args = Namespace(clients=sizes["clients"], seconds=sizes["seconds"], cold=False)
    try:
        s.start_proxy(servers, ctx.log_dir)
        ctx.progress(
            f"wrk through nginx: {sizes['clients']} clients, {sizes['seconds']} s per path"
        )
        figures = measure(servers, tokens, args, paths=("/api/v1/me/", "/api/v1/newsfeed/"),
                          warm_up_seconds=sizes["warm_up_seconds"])  # fmt: skip
    finally:
        servers.stop()
    me, feed = figures["paths"]["/api/v1/me/"], figures["paths"]["/api/v1/newsfeed/"]
    ratio = round(feed["requests_per_second"] / me["requests_per_second"], 2)
    fives = sum(path["status"]["5xx"] for path in figures["paths"].values())
    errors = sum(sum(path["socket_errors"].values()) for path in figures["paths"].values())
    return {
        "figures": {
            "arrangement": f"nginx -> gunicorn gthread {web_concurrency}x{web_threads} "
            "(+ daphne for /ws/)",
            "clients": sizes["clients"],
            "seconds": sizes["seconds"],
            "data": data,
            "newsfeed_to_me": ratio,
            **figures,
        },
        "checks": [
            common.check("HTTP req/s, newsfeed / /me/", ratio, "", (">=", 0.6)),
            common.check("HTTP /me/", me["requests_per_second"], "req/s"),
            common.check("HTTP /newsfeed/", feed["requests_per_second"], "req/s"),
            common.check("HTTP /newsfeed/ p50", feed["p50_ms"], "ms"),
            common.check(
                "HTTP server CPU per request, newsfeed / /me/",
                round(feed["cpu_ms_per_request"] / max(me["cpu_ms_per_request"], 0.01), 2),
                "x",
            ),
            common.check("HTTP 5xx and socket errors", fives + errors, "", ("==", 0)),
            common.check(
                "PostgreSQL connections at most (bound)",
                figures["max_connections"],
                "",
                ("<=", figures["connection_bound"]),
            ),
        ],
        "distributions": {
            "HTTP GET /me/": me["quantiles_ms"],
            "HTTP GET /newsfeed/": feed["quantiles_ms"],
        },
        "throughput": {
            "HTTP /me/": common.rate(me["requests_per_second"], "req/s over HTTP"),
            "HTTP /newsfeed/": common.rate(feed["requests_per_second"], "req/s over HTTP"),
        },
    }


def compose_default(service: str, variable: str) -> int:
    """The default docker-compose.yml gives `variable` (`${VARIABLE:-N}`)."""
    from tests.integration.servers import compose_services

    value = compose_services()[service]["environment"][variable]
    return int(re.fullmatch(r"\$\{\w+:-(\d+)\}", value).group(1))


def arrangements(args) -> list[tuple[str, str, callable]]:
    """(key, description, start(env, log_dir) -> Servers), the production one first."""
    from tests.integration import servers as s

    web_concurrency = args.web_concurrency or compose_default("web", "WEB_CONCURRENCY")
    web_threads = args.web_threads or compose_default("web", "WEB_THREADS")
    pool = compose_default("ws", "DATABASE_POOL_SIZE")

    def production(env, log_dir):
        return s.start_production(env, log_dir, web_concurrency=web_concurrency,
                                  web_threads=web_threads, ws_pool_size=pool)  # fmt: skip

    def single(name, command, bound, formula, **extra):
        def start(env, log_dir):
            port = s.free_port()
            server = s.start_server(name, s.listening_on(command, "127.0.0.1", port),
                                    {**env, **extra}, log_dir, port)  # fmt: skip
            s.wait_all_ready([server])
            return s.Servers([server], connection_bound=bound, formula=formula)

        return start

    workers = 2 * (os.cpu_count() or 1) + 1
    result = [
        ("production", f"gunicorn gthread {web_concurrency}x{web_threads} (+ daphne for /ws/)",
         production),
    ]  # fmt: skip
    if not args.no_make_run:
        result.append(("make_run", "daphne, one process (make run)", s.start_make_run_server))
    if args.candidates:
        result += [
            ("gunicorn_sync", f"gunicorn sync, {workers} workers",
             single("gunicorn-sync", ["gunicorn", "--worker-class", "sync", "--workers",
                    str(workers), "--bind", "127.0.0.1:1", "config.wsgi"], workers,
                    f"workers ({workers})")),
            ("uvicorn_pool", "uvicorn, 2 processes, pool of 4 each",
             single("uvicorn", ["uvicorn", "--workers", "2", "--no-access-log", "--host",
                    "127.0.0.1", "--port", "1", "config.asgi:application"], 8,
                    "processes x DATABASE_POOL_SIZE (2 x 4)", DATABASE_POOL_SIZE="4")),
        ]  # fmt: skip
    return result


def run(args) -> dict:
    require_wrk()
    env = common.configure_environment()
    database = common.setup(env["DATABASE_URL"])
    import seed

    print(f"bench database {database}: seeding {args.users} users ...")
    started = time.perf_counter()
    user_ids = seed.seed_network(users=args.users, follows_each=args.follows_each,
                                 tweets_each=args.tweets_each, likes_each=args.likes_each)  # fmt: skip
    data = {**seed.counts(), "seed_seconds": round(time.perf_counter() - started, 1)}
    print(f"  {data}")
    info = common.machine()
    server_env = {key: env[key] for key in env if key != "DJANGO_SETTINGS_MODULE"}

    results = {}
    with tempfile.TemporaryDirectory(prefix="chirp-bench-serve-") as tmp:
        log_dir = Path(tmp)
        tokens = log_dir / "tokens.txt"
        mint_tokens(user_ids[: args.tokens], tokens)
        for key, description, start in arrangements(args):
            print(f"{description}: {args.clients} clients, {args.seconds} s per path")
            servers = start(server_env, log_dir)
            try:
                results[key] = {"description": description, **measure(servers, tokens, args)}
            finally:
                servers.stop()
    common.cleanup_redis()

    result = {
        "benchmark": "serving",
        "date": common.now(),
        "command": "make bench-serve",
        "machine": info,
        "parameters": {**vars(args), "database": database, "load_generator": "wrk -t 2"},
        "data": data,
        "arrangements": results,
    }
    path = common.write_results("serving", result)
    report(result)
    print(f"\nresults: {path.relative_to(ROOT)}")
    check(results["production"])
    return result


def report(result: dict) -> None:
    arrangements_ = result["arrangements"]
    print()
    print(common.describe_machine(result["machine"]))
    print(f"{result['parameters']['clients']} clients, {result['parameters']['seconds']} s per "
          f"path; {result['data']['users']} users, {result['data']['feed_rows']} feed rows")  # fmt: skip
    header = f"{'path':<20}" + "".join(f"{key:>34}" for key in arrangements_)
    print(header)
    for path in PATHS:
        cells = "".join(
            f"{a['paths'][path]['requests_per_second']:>9} req/s p50 {a['paths'][path]['p50_ms']:>6}"
            f" p99 {a['paths'][path]['p99_ms']:>6}"
            for a in arrangements_.values()
        )
        print(f"{path:<20}{cells}")
    print("server CPU per request (ms): " + "; ".join(
        f"{key} " + "/".join(str(a["paths"][path]["cpu_ms_per_request"]) for path in PATHS)
        for key, a in arrangements_.items()))  # fmt: skip
    for key, a in arrangements_.items():
        fives = sum(figures["status"]["5xx"] for figures in a["paths"].values())
        print(f"{key}: {a['description']}; 5xx {fives}; PostgreSQL connections at most "
              f"{a['max_connections']}, bound {a['connection_bound']} = {a['formula']}")  # fmt: skip


def check(production: dict) -> None:
    """The production arrangement's promises (docs/scaling.md): fail the run otherwise."""
    failures = []
    for path, figures in production["paths"].items():
        if figures["status"]["5xx"]:
            failures.append(f"{path}: {figures['status']['5xx']} answers 5xx")
        if any(figures["socket_errors"].values()):
            failures.append(f"{path}: socket errors {figures['socket_errors']}")
    if production["max_connections"] > production["connection_bound"]:
        failures.append(
            f"{production['max_connections']} PostgreSQL connections, above the bound "
            f"{production['connection_bound']} ({production['formula']})"
        )
    if failures:
        sys.exit("production arrangement FAILED:\n  " + "\n  ".join(failures))
    print("production arrangement: zero 5xx, connections within the bound")


if __name__ == "__main__":
    common.main(sys.modules[__name__])
