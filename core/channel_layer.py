"""The channel layers Chirp runs on: channels_redis's and channels' in-memory one, with one
push to many users' groups as a single operation (`group_send_many`), and with what they
drop counted and logged.

Why not channels_redis as it comes (measured with 1,000 sockets on two daphne processes,
docs/benchmarks.md#sockets):

- Every socket of one server process receives through the process's one inbox (a Redis
  sorted set; the socket's channel name only routes inside the process). A fan-out batch
  sent as one `group_send` per follower put one message per online follower into that
  inbox, faster than the process could pop them (three round trips each), and the layer's
  capacity (200) applied to the inbox, not to a socket: 60% of the `newsfeed` events were
  dropped, logged at INFO only.
  `group_send_many` reads every group's channels in one script call, then writes ONE
  message per process inbox, naming all of that process's channels (channels_redis
  already delivers a message naming several channels to each of them). A batch of 1,000
  online followers on two processes is two Redis round trips and two messages, whatever
  the number of sockets.
- The process inbox gets a capacity of its own (`inbox_capacity`), sized for what waits
  in an inbox now (one message per push, not per socket); `capacity` stays what one
  socket may have waiting inside its process.
- redis-py's asyncio pool holds at most 100 connections and raises at the 101st: 1,000
  sockets closing at once (one `group_discard` each) raised in most disconnects, which
  left presence counts up and dead channels in groups for a day. The pool here is bounded
  (`max_connections`) and blocking: a command waits up to `pool_timeout` for a connection.
- A push the layer drops (an inbox at capacity; a socket whose buffer in its process is
  full) is counted (`dropped()`) and logged at WARNING, once per push.
- Inside the server process, channels_redis hands a message naming 500 channels to 500
  per-channel buffers; 500 consumer tasks wake, each through `receive()`'s lock dance (two
  tasks made, one cancelled) and Channels' `dispatch` (a thread hop to close old database
  connections), then renders and encodes the same frame: 0.54-0.67 ms of the process's
  CPU per socket per event, 250-800 ms from the first socket to the last (0.08-0.13 ms and
  100-120 ms with the push loop; docs/realtime.md). A consumer may instead register as a
  push target (`register_push_target`): a `stream.event` naming it skips the buffers, and
  ONE task per process (the push loop, `_PushLoop`) hands it to every targeted local
  socket in turn (`push_event`), which renders each frame once per push and distinct
  rendering (notifications.consumers: per host the socket reached). Other messages, and
  consumers that did not register (Mastodon's renders per viewer), keep channels_redis's
  path.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import threading
import time
import weakref
from collections.abc import Sequence
from typing import Protocol

from channels.layers import InMemoryChannelLayer as ChannelsInMemoryChannelLayer
from channels_redis.core import BoundedQueue
from channels_redis.core import RedisChannelLayer as ChannelsRedisChannelLayer
from redis import asyncio as aioredis

logger = logging.getLogger(__name__)

_drops_lock = threading.Lock()
_drops: collections.Counter[str] = collections.Counter()


def record_drop(where: str, count: int, detail: str) -> None:
    with _drops_lock:
        _drops[where] += count
        total = _drops[where]
    logger.warning(
        "real-time: %d event deliveries dropped (%s; %s; %d in this process so far)",
        count,
        where,
        detail,
        total,
    )


def dropped() -> dict[str, int]:
    """Event deliveries this process's layer dropped, by where: "inbox" (a server process's
    inbox at capacity when this process sent) and "socket" (a socket's buffer in this
    process full: its consumer did not keep up)."""
    with _drops_lock:
        return dict(_drops)


def reset_dropped() -> None:
    with _drops_lock:
        _drops.clear()


class _SocketBuffer(BoundedQueue):
    """What one socket has waiting inside its server process. channels_redis drops the
    oldest when it is full, silently; this counts and logs it."""

    def put_nowait(self, item):
        if self.full():
            record_drop("socket", 1, f"a socket's buffer of {self.maxsize} is full")
        return super().put_nowait(item)


# One round trip per shard: every channel of the groups (after dropping members older than
# group_expiry). One script call instead of a pipeline of two commands per group: for a
# fan-out batch of 1,000 groups, redis-py packing and parsing 2,000 commands was 90% of the
# push's time in the sending process.
_GROUP_CHANNELS = """
local channels = {}
for i = 1, #KEYS do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, ARGV[1])
    for _, name in ipairs(redis.call('ZRANGE', KEYS[i], 0, -1)) do
        channels[#channels + 1] = name
    end
end
return channels
"""

# One round trip per shard: drop expired messages from each inbox, then add the message to
# every inbox below its capacity. Returns the 1-based indexes of the inboxes that were full.
_SEND_TO_INBOXES = """
local count = #KEYS
local now = tonumber(ARGV[2 * count + 1])
local expiry = tonumber(ARGV[2 * count + 2])
local full = {}
for i = 1, count do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, now - expiry)
    if redis.call('ZCARD', KEYS[i]) < tonumber(ARGV[count + i]) then
        redis.call('ZADD', KEYS[i], now, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        full[#full + 1] = i
    end
end
return full
"""


# The message type a push loop delivers (core.realtime's default kind).
PUSHED_TYPE = "stream.event"


class PushTarget(Protocol):
    """A consumer the push loop delivers to (notifications.consumers.StreamConsumer)."""

    async def push_event(self, message: dict, frames: dict) -> None:
        """Send `message` to the socket; `frames` caches what one push rendered, shared by
        every socket of the push in this process."""


class _PushLoop:
    """One per event loop: the queue of pushes popped from the process's inbox and the one
    task that delivers them, one push after another, to their local targets. The task ends
    when the queue is empty and is started again by the next push (no task outlives the
    pushes, e.g. a test's event loop)."""

    def __init__(self) -> None:
        self.queue: collections.deque[tuple[list[PushTarget], dict]] = collections.deque()
        self.task: asyncio.Task | None = None

    def put(self, targets: list[PushTarget], message: dict) -> None:
        self.queue.append((targets, message))
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self.run())

    async def run(self) -> None:
        try:
            while self.queue:
                targets, message = self.queue.popleft()
                frames: dict = {}
                for target in targets:
                    try:
                        await target.push_event(message, frames)
                    except Exception:
                        # One socket's failure (a bug, a closed transport) must not cost
                        # the others their event.
                        logger.exception("real-time: a pushed event failed on one socket")
        finally:
            self.task = None


class RedisChannelLayer(ChannelsRedisChannelLayer):
    """channels_redis's layer with batched group sends, an inbox capacity of its own, a
    bounded blocking connection pool and counted drops (module docstring)."""

    def __init__(
        self,
        *,
        inbox_capacity: int = 1000,
        max_connections: int = 32,
        pool_timeout: float = 10.0,
        **config,
    ) -> None:
        super().__init__(**config)
        self.inbox_capacity = inbox_capacity
        self.max_connections = max_connections
        self.pool_timeout = pool_timeout
        self.receive_buffer = collections.defaultdict(
            functools.partial(_SocketBuffer, self.capacity)
        )
        self._push_targets: dict[str, PushTarget] = {}
        self._push_loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _PushLoop] = (
            weakref.WeakKeyDictionary()
        )

    def register_push_target(self, channel: str, target: PushTarget) -> None:
        """Deliver `stream.event` messages to `channel` (a socket of this process) by
        calling `target.push_event` from the process's push loop instead of through the
        channel's buffer and `receive()`."""
        self._push_targets[channel] = target

    def unregister_push_target(self, channel: str) -> None:
        self._push_targets.pop(channel, None)

    async def receive_single(self, channel: str) -> tuple[str | list[str], dict]:
        # Called by whichever consumer holds receive()'s lock, once per message popped from
        # the process's inbox. A push's local targets get it from the push loop; receive()
        # puts what is returned into the other channels' buffers, as before.
        names, message = await super().receive_single(channel)
        if message.get("type") != PUSHED_TYPE or not self._push_targets:
            return names, message
        names = names if isinstance(names, list) else [names]
        targets = [self._push_targets.get(name) for name in names]
        pushed = [target for target in targets if target is not None]
        if not pushed:
            return names, message
        loop = asyncio.get_running_loop()
        push_loop = self._push_loops.get(loop)
        if push_loop is None:
            push_loop = self._push_loops[loop] = _PushLoop()
        push_loop.put(pushed, message)
        return [
            name for name, target in zip(names, targets, strict=True) if target is None
        ], message

    def create_pool(self, index: int) -> aioredis.BlockingConnectionPool:
        host = dict(self.hosts[index])
        address = host.pop("address")
        return aioredis.BlockingConnectionPool.from_url(
            address,
            max_connections=self.max_connections,
            timeout=self.pool_timeout,
            **host,
        )

    async def close_loop_pools(self) -> None:
        """Close this layer's connections of the running event loop only (channels_redis's
        `close_pools` closes those of every loop)."""
        loop_layer = self._layers.pop(asyncio.get_running_loop(), None)
        if loop_layer is not None:
            await loop_layer.flush()

    def get_capacity(self, channel: str) -> int:
        # A process-local channel name ("specific.<process>!<socket>") is stored in its
        # process's inbox: that inbox's capacity applies.
        if "!" in channel:
            return self.inbox_capacity
        return super().get_capacity(channel)

    async def group_send(self, group: str, message: dict) -> None:
        await self.group_send_many([group], message)

    async def group_send_many(self, groups: Sequence[str], message: dict) -> None:
        """Send `message` to every channel of every group in `groups`: per shard, one script
        call reads the groups and one writes one message per server process (however many
        of its sockets are in the groups)."""
        assert isinstance(message, dict), "message is not a dict"
        groups = list(dict.fromkeys(groups))
        for group in groups:
            assert self.require_valid_group_name(group), "Group name not valid"
        if not groups:
            return
        by_shard: dict[int, list[str]] = collections.defaultdict(list)
        for group in groups:
            by_shard[self.consistent_hash(group)].append(group)
        members = await asyncio.gather(
            *(self._group_channels(index, names) for index, names in by_shard.items())
        )
        channels = list(dict.fromkeys(name for names in members for name in names))
        if not channels:
            return
        # Per shard, the inbox keys; per inbox, one message naming all its channels.
        shards, messages, capacities = self._map_channel_keys_to_connection(channels, message)
        sockets = collections.Counter(self._inbox_key(channel) for channel in channels)
        await asyncio.gather(
            *(
                self._send_to_inboxes(index, keys, messages, capacities, sockets)
                for index, keys in shards.items()
            )
        )

    def _inbox_key(self, channel: str) -> str:
        """Where messages to `channel` wait: its process's inbox for a process-local one."""
        return self.prefix + (self.non_local_name(channel) if "!" in channel else channel)

    async def _group_channels(self, index: int, groups: list[str]) -> list[str]:
        keys = [self._group_key(group) for group in groups]
        oldest = int(time.time()) - self.group_expiry
        names = await self.connection(index).eval(_GROUP_CHANNELS, len(keys), *keys, oldest)
        return [name.decode("utf8") for name in names]

    async def _send_to_inboxes(self, index, keys, messages, capacities, sockets) -> None:
        args = [messages[key] for key in keys] + [capacities[key] for key in keys]
        args += [time.time(), self.expiry]
        full = await self.connection(index).eval(_SEND_TO_INBOXES, len(keys), *keys, *args)
        if full:
            record_drop(
                "inbox",
                sum(sockets[keys[i - 1]] for i in full),
                f"{len(full)} of {len(keys)} server inboxes at their capacity of "
                f"{self.inbox_capacity}",
            )


class InMemoryChannelLayer(ChannelsInMemoryChannelLayer):
    """The one-process layer (embedded mode and most tests), with the same
    `group_send_many` as the Redis layer."""

    async def group_send_many(self, groups: Sequence[str], message: dict) -> None:
        for group in dict.fromkeys(groups):
            await self.group_send(group, message)
