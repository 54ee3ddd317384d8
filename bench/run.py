"""Every figure of issue 12 in one run: `make bench` (or `.venv/bin/python bench/run.py`).

On PostgreSQL + Redis and the production serving arrangement (nginx in front of gunicorn
and daphne, a Celery worker, as deploy/ and the integration tier run them), one group after
another, each on a fresh, seeded and ANALYZEd database:

- feed:    the home timeline in process against /me/ (time, SQL queries warm and cold),
           and with 500 mutes (bench/feed.py);
- serving: HTTP req/s of /newsfeed/ against /me/ through nginx (bench/serving.py, wrk);
- fanout:  a tweet to 10,000 followers through one worker against the server-side
           INSERT ... SELECT floor (bench/fanout.py);
- sockets: 1,000 sockets over two ws processes: newsfeed events, notifications, a mass
           close, memory per socket (bench/sockets.py);
- chat:    1,000 sockets over two ws processes: a message sent over one socket to its
           delivery on the other participant's socket, p50/p99 (bench/chat.py).

A progress line while it runs; then a table of every figure next to its floor or ceiling
(pass/miss) with the load average of the machine while it was measured, the JSON
(bench/results/bench-<UTC date and time>.json and bench/results/latest.json) and the
charts (docs/benchmarks/*.png, which docs/benchmarks.md shows). --tiny runs every group
at toy sizes in well under a minute of measuring (the test of this command uses it).

Exit status: 0 when every group ran, whatever the figures (a loaded machine misses latency
goals); 1 when a group failed or, with --strict, when a figure missed its goal.

Services and isolation as each group's own script (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/chirp_bench, DROPPED and created afresh, its name must
contain "bench"; REDIS_URL; keys of this run's own, deleted at the end). Needs wrk and nginx.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

import common
from common import ROOT

# The groups of one run, in order: each names a module of bench/ with `part(ctx) -> dict`
# (bench/common.py says what the dict holds) and its sizes, full and --tiny. A new group
# (a socket chat send -> delivery, say) is one more line here.
PARTS: list[tuple[str, dict, dict]] = [
    ("feed",
     {"followees": 20, "tweets_each": 10, "requests": 500, "max_seconds": 60, "mutes": 500},
     {"followees": 4, "tweets_each": 6, "requests": 20, "max_seconds": 5, "mutes": 20}),
    ("serving",
     {"users": 2000, "follows_each": 50, "tweets_each": 10, "likes_each": 20, "tokens": 500,
      "clients": 16, "seconds": 30, "warm_up_seconds": 5},
     {"users": 60, "follows_each": 5, "tweets_each": 3, "likes_each": 2, "tokens": 20,
      "clients": 4, "seconds": 2, "warm_up_seconds": 1}),
    ("fanout",
     {"followers": 10_000, "repeats": 5, "concurrency": 2},
     {"followers": 300, "repeats": 2, "concurrency": 2}),
    ("sockets",
     {"sockets": 1000, "ws_processes": 2, "tweets": 10, "likes": 200, "worker_concurrency": 2},
     {"sockets": 20, "ws_processes": 2, "tweets": 2, "likes": 3, "worker_concurrency": 2}),
    ("chat",
     {"sockets": 1000, "ws_processes": 2, "messages": 200},
     {"sockets": 20, "ws_processes": 2, "messages": 5}),
]  # fmt: skip

CHARTS = ROOT / "docs" / "benchmarks"


def add_arguments(parser) -> None:
    names = [name for name, _, _ in PARTS]
    parser.add_argument("--tiny", action="store_true", help="toy sizes: checks the command runs")
    parser.add_argument("--only", nargs="+", choices=names, metavar="GROUP",
                        help=f"run only these groups ({', '.join(names)})")  # fmt: skip
    parser.add_argument("--json", type=Path,
                        help="results file (default bench/results/bench-<time>.json and latest.json)")  # fmt: skip
    parser.add_argument("--charts", type=Path, default=CHARTS, help=f"default {CHARTS}")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a figure misses")


def run(args) -> dict:
    import report

    env = common.configure_environment()
    database = common.setup(env["DATABASE_URL"], keep_template=True)
    info = common.machine()
    chosen = [part for part in PARTS if not args.only or part[0] in args.only]
    print(common.describe_machine(info), flush=True)
    parts, failed = {}, []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="chirp-bench-") as tmp:
        for index, (name, full, tiny) in enumerate(chosen, start=1):
            log_dir = Path(tmp) / name
            log_dir.mkdir()
            ctx = common.Context(sizes=tiny if args.tiny else full, tiny=args.tiny,
                                 log_dir=log_dir, label=f"{index}/{len(chosen)} {name}",
                                 started=started)  # fmt: skip
            ctx.progress("starting")
            load_before, part_started = common.load_average(), time.monotonic()
            try:
                module = importlib.import_module(name)
                result = module.part(ctx)
            except Exception:  # one group failing does not lose the others' figures
                failed.append(name)
                result = {"error": traceback.format_exc(), "checks": []}
                print(result["error"], file=sys.stderr, flush=True)
            parts[name] = {
                "sizes": ctx.sizes,
                "seconds": round(time.monotonic() - part_started, 1),
                "load_average_before": load_before,
                "load_average_after": common.load_average(),
                **result,
            }
            ctx.progress(f"done in {parts[name]['seconds']} s")
    common.cleanup_redis()
    common.drop_template(env["DATABASE_URL"])

    result = {
        "benchmark": "bench",
        "date": common.now(),
        "command": "make bench"
        + (f' BENCH_ARGS="{" ".join(sys.argv[1:])}"' if sys.argv[1:] else ""),
        "tiny": args.tiny,
        "machine": {**info, "load_average_at_end": common.load_average()},
        "parameters": {"database": database, "broker": env["CELERY_BROKER_URL"]},
        "parts": parts,
        "failed": failed,
    }
    paths = report.write_json(result, args.json)
    charts = report.draw(result, args.charts)
    print()
    print(report.table(result))
    print("\nresults: " + ", ".join(str(path) for path in paths))
    print("charts: " + ", ".join(str(path) for path in charts))
    if failed:
        sys.exit(f"groups that failed: {', '.join(failed)}")
    if args.strict and report.misses(result):
        sys.exit(f"{len(report.misses(result))} figures missed their goals")
    return result


def main() -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")
    # WhiteNoise looks for collected static files, which no group needs.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    common.main(sys.modules[__name__])


if __name__ == "__main__":
    main()
