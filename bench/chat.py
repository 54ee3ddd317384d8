"""Chat benchmark: `.venv/bin/python bench/chat.py` (docs/benchmarks.md#chat).

On the production arrangement (docker-compose.yml's web service and --ws-processes ws
services, through tests/integration/servers.py), --sockets WebSocket clients stay open
(one per user, spread evenly over the ws processes; pairs of them share a one-to-one
conversation). Then --messages times, one user sends `message.send` over their socket and
this measures, on one clock:

- delivery: from the frame handed to the sender's socket to the `message` event arriving
  on the other participant's socket (p50, p90, p99, max);
- ack: from the same moment to the `message.ack` arriving on the sender's socket;
- missing: messages whose event never arrived within 10 s (the contract: at most once on
  the socket, always on REST).

Services and isolation as bench/sockets.py (DATABASE_URL, default .../chirp_bench, DROPPED
and created afresh; REDIS_URL; keys of this run's own, deleted at the end); throttles off
as in every benchmark. Results: a table on stdout and bench/results/chat-<UTC date and
time>.json. `measure(args, log_dir)` runs the figures on an already set-up run
(bench/common.py) for a combined report.
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from pathlib import Path

import common
from common import ROOT
from sockets import raise_open_files_limit, summary


def add_arguments(parser) -> None:
    parser.add_argument("--sockets", type=int, default=1000, help="open sockets (users)")
    parser.add_argument("--ws-processes", type=int, default=2)
    parser.add_argument("--messages", type=int, default=200, help="messages timed")
    parser.add_argument("--proxy", action="store_true",
                        help="through nginx in front of the ws processes, as make bench runs it")  # fmt: skip


def seed(sockets: int):
    """`sockets` users, paired: users 2n and 2n+1 share a one-to-one conversation.
    Returns the users and, per pair, the conversation id."""
    from accounts.models import User
    from messaging.models import Conversation, ConversationMember

    users = User.objects.bulk_create(
        [User(username=f"bench_c{n}", password="!") for n in range(sockets)], batch_size=5000
    )
    pairs = [(users[n], users[n + 1]) for n in range(0, sockets - 1, 2)]
    conversations = Conversation.objects.bulk_create(
        [Conversation(user_low_id=a.pk, user_high_id=b.pk) for a, b in pairs], batch_size=5000
    )
    ConversationMember.objects.bulk_create(
        [
            ConversationMember(conversation=conversation, user=user)
            for conversation, pair in zip(conversations, pairs, strict=True)
            for user in pair
        ],
        batch_size=5000,
    )
    return users, [conversation.pk for conversation in conversations]


def measure(args, log_dir: Path) -> dict:
    """The figures, on a migrated, empty bench database (common.setup)."""
    import os

    from rest_framework_simplejwt.tokens import AccessToken

    from tests.integration import servers as s
    from tests.integration.sockets import SocketSwarm

    raise_open_files_limit(2 * args.sockets + 1024)
    users, conversations = seed(args.sockets)
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    servers = s.start_production(env, log_dir, ws_processes=args.ws_processes)
    result: dict = {}
    try:
        if args.proxy:  # nginx spreads the sockets over the ws processes (round robin)
            s.start_proxy(servers, log_dir, worker_connections=2 * args.sockets + 1024)
        ws = servers.ws_servers
        # Without the proxy, the two users of a pair are on different ws processes: every
        # message crosses from one process to another through the channel layer.
        urls = [
            f"{servers.ws_url if args.proxy else f'ws://127.0.0.1:{ws[n % len(ws)].port}'}"
            f"/ws/stream/?token={AccessToken.for_user(u)}"
            for n, u in enumerate(users)
        ]
        with SocketSwarm() as swarm:
            print(f"opening {args.sockets} sockets over {len(ws)} ws processes ...")
            started = time.monotonic()
            clients = swarm.open(urls)
            opened = time.monotonic() - started
            delivery, acks, missing = [], [], 0
            for n in range(args.messages + 1):  # the first is a warm-up, not counted
                pair = n % len(conversations)
                sender, receiver = clients[2 * pair], clients[2 * pair + 1]
                client_id = uuid.uuid4().hex
                frame = {
                    "type": "message.send",
                    "conversation_id": conversations[pair],
                    "text": f"bench message {n}",
                    "client_id": client_id,
                }
                sent = swarm.send(sender, frame)
                acked = swarm.wait_for(is_ack(client_id), [sender], timeout=10)
                if not acked:
                    missing += 1
                    continue
                message_id = acked[0][3]["message"]["id"]
                arrived = swarm.wait_for(is_message(message_id), [receiver], timeout=10)
                if not arrived:
                    missing += 1
                    continue
                if n == 0:
                    continue
                acks.append((acked[0][1] - sent) * 1000)
                delivery.append((arrived[0][1] - sent) * 1000)
                if n % 50 == 0:
                    so_far = summary(delivery)
                    print(f"  {n}/{args.messages}: delivery p50 {so_far['p50_ms']} ms, "
                          f"p99 {so_far['p99_ms']} ms")  # fmt: skip
            result = {
                "sockets": args.sockets,
                "open_seconds": round(opened, 2),
                "messages": args.messages,
                "missing": missing,
                "delivery": summary(delivery),
                "ack": summary(acks),
                "connects_retried_after_4503": swarm.retries,
            }
    finally:
        servers.stop()
    result["arrangement"] = {"formula": servers.formula, "ws_processes": args.ws_processes}
    return result


def is_ack(client_id: str):
    return lambda event: event["type"] == "message.ack" and event.get("client_id") == client_id


def is_message(message_id: int):
    return lambda event: event["type"] == "message" and event["message"]["id"] == message_id


def report(result: dict) -> None:
    figures = result["figures"]
    delivery, ack = figures["delivery"], figures["ack"]
    rows = [
        ("sockets open", f"{figures['sockets']} over {figures['arrangement']['ws_processes']} ws"),
        ("messages sent over a socket", str(figures["messages"])),
        ("socket send -> other socket, p50", f"{delivery.get('p50_ms')} ms"),
        ("socket send -> other socket, p99", f"{delivery.get('p99_ms')} ms"),
        ("socket send -> ack, p50 / p99", f"{ack.get('p50_ms')} / {ack.get('p99_ms')} ms"),
        ("missing (no event within 10 s)", str(figures["missing"])),
    ]
    print(f"\n{common.describe_machine(result['machine'])}")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


def part(ctx) -> dict:
    """`make bench`'s chat figures (bench/run.py), through nginx in front of the ws
    processes."""
    from argparse import Namespace

    sizes = ctx.sizes
    ctx.fresh_database()
    ctx.progress(f"{sizes['sockets']} sockets over {sizes['ws_processes']} ws processes, "
                 f"{sizes['messages']} messages sent over a socket")  # fmt: skip
    figures = measure(Namespace(**sizes, proxy=True), ctx.log_dir)
    delivery, ack = figures["delivery"], figures["ack"]
    return {
        "figures": figures,
        "checks": [
            common.check("chat: socket send -> other socket, p50", delivery.get("p50_ms"), "ms"),
            common.check("chat: socket send -> other socket, p99", delivery.get("p99_ms"), "ms"),
            common.check("chat: socket send -> ack, p99", ack.get("p99_ms"), "ms"),
            common.check("chat: messages missing", figures["missing"], "", ("==", 0)),
        ],
        "distributions": {
            "chat: socket send -> other socket": delivery.get("quantiles_ms", []),
        },
        "throughput": {},
    }


def run(args) -> dict:
    env = common.configure_environment()
    database = common.setup(env["DATABASE_URL"])
    info = common.machine()
    with tempfile.TemporaryDirectory(prefix="chirp-bench-chat-") as tmp:
        figures = measure(args, Path(tmp))
    common.cleanup_redis()
    result = {
        "benchmark": "chat",
        "date": common.now(),
        "command": "python bench/chat.py " + " ".join(sys.argv[1:]),
        "machine": info,
        "parameters": {**vars(args), "database": database},
        "figures": figures,
    }
    path = common.write_results("chat", result)
    report(result)
    print(f"\nresults: {path.relative_to(ROOT)}")
    return result


if __name__ == "__main__":
    common.main(sys.modules[__name__])
