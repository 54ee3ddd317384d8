"""Many WebSocket clients at once, for the real-time tests at scale and bench/sockets.py.

`SocketSwarm` runs every client on one asyncio event loop in a background thread (a thread
per socket would not do for 1,000), reads continuously and stamps each event with its
arrival time, both `time.monotonic()` (to time from a request) and `time.time()` (to time
from a database timestamp such as a notification's `created_at`). The calling thread
drives requests and waits on the recorded arrivals; it never reads a socket itself.

Also here: what the servers leave in Redis (presence, channel-layer groups) and in their
processes (resident memory), the figures both the test and the benchmark check.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

CONNECT_TIMEOUT = 30
# Handshakes in flight at once: the servers check each socket's token in one thread.
CONNECTING_AT_ONCE = 32
# Connects closed with 4503 ("try again later": the server could not reach Redis or
# PostgreSQL in time, e.g. on a loaded machine) are retried, as a client does.
TRY_AGAIN_LATER = 4503
TRY_AGAIN_ATTEMPTS = 3


@dataclass
class Client:
    index: int
    url: str
    events: list[tuple[float, float, dict]] = field(default_factory=list)
    close_code: int | None = None
    ws: Any = None
    reader: asyncio.Task | None = None
    pong: asyncio.Event | None = None

    def first(self, predicate: Callable[[dict], bool]) -> tuple[float, float, dict] | None:
        """The first (monotonic, wall-clock, event) matching `predicate`, or None."""
        for arrival in list(self.events):
            if predicate(arrival[2]):
                return arrival
        return None


class SocketSwarm:
    """WebSocket clients on one event loop in a thread; use as a context manager."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.clients: list[Client] = []
        self.retries = 0  # connects retried after a 4503
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def _run(self, coroutine, timeout: float):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    # --- opening and reading ---------------------------------------------------------------

    def open(self, urls: Iterable[str], timeout: float = 300) -> list[Client]:
        """Connect one client per URL and wait until each answered a ping: its consumer has
        finished connecting (a socket's messages are handled in order), so it is in its
        user's group and counted online. Returns the new clients."""
        start = len(self.clients)
        new = [Client(start + n, url) for n, url in enumerate(urls)]
        self.clients += new
        self._run(self._open_all(new), timeout)
        return new

    async def _open_all(self, clients: list[Client]) -> None:
        gate = asyncio.Semaphore(CONNECTING_AT_ONCE)

        async def open_one(client: Client) -> None:
            for attempt in range(1, TRY_AGAIN_ATTEMPTS + 1):
                async with gate:
                    if await self._connect(client):
                        return
                if client.close_code != TRY_AGAIN_LATER or attempt == TRY_AGAIN_ATTEMPTS:
                    raise RuntimeError(
                        f"socket {client.index} got no pong within {CONNECT_TIMEOUT}s "
                        f"(closed with {client.close_code}; events: {client.events[:3]})"
                    )
                # As docs/realtime.md asks of clients: 4503 means reconnect with backoff.
                self.retries += 1
                await asyncio.sleep(0.5 * attempt)

        await asyncio.gather(*(open_one(client) for client in clients))

    async def _connect(self, client: Client) -> bool:
        """Open the client's socket and ping it; whether the pong came."""
        client.pong, client.events, client.close_code = asyncio.Event(), [], None
        client.ws = await connect(
            client.url,
            open_timeout=CONNECT_TIMEOUT,
            close_timeout=10,
            ping_interval=None,
            max_queue=None,
        )
        client.reader = asyncio.ensure_future(self._read(client))
        await client.ws.send(json.dumps({"type": "ping"}))
        pong = asyncio.ensure_future(client.pong.wait())
        await asyncio.wait(
            [pong, client.reader], timeout=CONNECT_TIMEOUT, return_when="FIRST_COMPLETED"
        )
        if pong.done():
            return True
        pong.cancel()
        if not client.reader.done():
            await client.ws.close()
        await client.reader
        return False

    async def _read(self, client: Client) -> None:
        try:
            async for raw in client.ws:
                arrived, wall = time.monotonic(), time.time()
                event = json.loads(raw)
                if event == {"type": "pong"}:
                    client.pong.set()
                client.events.append((arrived, wall, event))
        except ConnectionClosed:
            pass
        client.close_code = client.ws.close_code

    def send(self, client: Client, event: dict, timeout: float = 10) -> float:
        """Send `event` on the client's socket (from the calling thread); returns the
        moment (time.monotonic()) it was handed to the socket."""

        async def send() -> float:
            await client.ws.send(json.dumps(event))
            return time.monotonic()

        return self._run(send(), timeout)

    # --- waiting for events ----------------------------------------------------------------

    def arrivals(
        self, predicate: Callable[[dict], bool], clients: list[Client] | None = None
    ) -> list[tuple[Client, float, float, dict]]:
        """Per client, its first event matching `predicate` (clients without one omitted)."""
        found = []
        for client in self.clients if clients is None else clients:
            arrival = client.first(predicate)
            if arrival is not None:
                found.append((client, *arrival))
        return found

    def wait_for(
        self,
        predicate: Callable[[dict], bool],
        clients: list[Client] | None = None,
        timeout: float = 10.0,
    ) -> list[tuple[Client, float, float, dict]]:
        """Wait until every client in `clients` (default: all) got an event matching
        `predicate`, or `timeout` passed; return the arrivals there are (the caller asserts
        how many)."""
        wanted = len(self.clients if clients is None else clients)
        deadline = time.monotonic() + timeout
        while True:
            found = self.arrivals(predicate, clients)
            if len(found) >= wanted or time.monotonic() > deadline:
                return found
            time.sleep(0.02)

    # --- closing ---------------------------------------------------------------------------

    def close_all(self, timeout: float = 60) -> float:
        """Close every open client at once (a closing handshake each, all concurrently), as
        a proxy restart or a network change would. Returns the seconds it took."""
        started = time.monotonic()
        self._run(self._close_all(), timeout)
        return time.monotonic() - started

    async def _close_all(self) -> None:
        open_clients = [client for client in self.clients if client.ws is not None]
        await asyncio.gather(
            *(client.ws.close() for client in open_clients), return_exceptions=True
        )
        await asyncio.gather(
            *(client.reader for client in open_clients if client.reader), return_exceptions=True
        )

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.close_all(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> SocketSwarm:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# --- what the servers hold -----------------------------------------------------------------


def online_counts(redis_url: str, cache_prefix: str) -> dict[int, int]:
    """core.presence's counts: user id -> open sockets."""
    client = redis.Redis.from_url(redis_url)
    return {
        int(user): int(count) for user, count in client.hgetall(f"{cache_prefix}:online").items()
    }


def group_members(redis_url: str, channel_prefix: str) -> dict[str, int]:
    """Channel-layer groups of users (`user.<id>`) with members: group -> channel count."""
    client = redis.Redis.from_url(redis_url)
    groups = {}
    for key in client.scan_iter(match=f"{channel_prefix}:group:user.*", count=1000):
        members = client.zcard(key)
        if members:
            groups[key.decode().rsplit(":", 1)[1]] = members
    return groups


def resident_kib(pid: int) -> int:
    """A process's resident memory (VmRSS), in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far: unlike latency, it does not
    grow with what else the machine runs."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (0 < fraction <= 1) of `values`."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]
