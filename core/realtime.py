"""The one way code pushes to clients: `send_to_user_on_commit`.

Events go to the channel group `user.<id>`, which every socket of that user joins. Delivery
is at most once (channel layers drop silently when full or down), so everything pushed is
stored first and readable over REST; a push failure never breaks the request that caused
it (docs/reliability.md trap 4).
"""

import asyncio
import logging
import os
import threading
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from core import presence
from core.channel_layer import RedisChannelLayer

logger = logging.getLogger(__name__)

Event = dict[str, Any]


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


async def _group_send_many(groups: list[str], message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    # One operation for all the groups (core.channel_layer): a fan-out batch of 1,000 online
    # followers is two Redis round trips and one message per server process. It gets
    # REDIS_SOCKET_TIMEOUT, like any Redis call on a request's path: the layer's own read
    # timeout is long (idle sockets wait in a 5 s blocking pop on it), so a hung Redis would
    # otherwise hold the pushing request or task that long.
    await asyncio.wait_for(layer.group_send_many(groups, message), settings.REDIS_SOCKET_TIMEOUT)


class _PushThread:
    """One event loop per process, in a thread of its own, for pushes from synchronous code
    (requests, Celery tasks, on-commit hooks) to the Redis layer. `async_to_sync` outside
    any event loop starts a thread and a loop per call, and the layer opens new Redis
    connections on every new loop: 10-60 ms per push in a Celery worker on a busy
    2-core machine (profile in docs/realtime.md), most of the time from a fan-out
    batch's commit to its first socket. This loop and its connections live as long as
    the process (a forked child, such as a Celery pool process, starts its own)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pid = 0
        self.layer: RedisChannelLayer | None = None

    def run(self, layer: RedisChannelLayer, coroutine: Coroutine) -> None:
        with self.lock:
            if self.pid != os.getpid():
                self.loop, self.pid, self.layer = asyncio.new_event_loop(), os.getpid(), None
                threading.Thread(
                    target=self.loop.run_forever, name="realtime-push", daemon=True
                ).start()
            if layer is not self.layer:
                # A new layer (settings changed, as tests do): the old one's connections on
                # this loop would otherwise stay open for the life of the process.
                if self.layer is not None:
                    asyncio.run_coroutine_threadsafe(self.layer.close_loop_pools(), self.loop)
                self.layer = layer
            loop = self.loop
        # The coroutine bounds itself (REDIS_SOCKET_TIMEOUT); the extra second is for a
        # loop that would be stuck, which must not hold the caller forever either.
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        future.result(timeout=settings.REDIS_SOCKET_TIMEOUT + 1)


_push_thread = _PushThread()


def _run(groups: list[str], message: dict) -> None:
    """`_group_send_many` from synchronous code: on the process's push loop for the Redis
    layer; through `async_to_sync` (the caller's event loop, if any) for the in-memory
    layer, whose queues belong to the loop its consumers run on."""
    layer = get_channel_layer()
    if isinstance(layer, RedisChannelLayer) and not _in_event_loop():
        _push_thread.run(layer, _group_send_many(groups, message))
    else:
        async_to_sync(_group_send_many)(groups, message)


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def check_channel_layer() -> None:
    """For /readyz: one send to an empty group, which reaches the layer's Redis and nobody
    else. Raises when the layer cannot be reached within REDIS_SOCKET_TIMEOUT."""
    _run(["readyz.probe"], {"type": "readyz.probe"})


def send_now(
    user_ids: Iterable[int],
    event: Event,
    *,
    kind: str = "stream.event",
    only_online: bool = False,
) -> None:
    """Push `event` to every socket of these users, now. Errors are logged, not raised.

    With `only_online`, users without an open socket (core.presence) are skipped: for
    fan-out, where most followers are offline and every send is a Redis round trip.
    """
    if only_online:
        user_ids = presence.online_among(list(user_ids))
    groups = [user_group(user_id) for user_id in user_ids]
    if not groups:
        return
    try:
        _run(groups, {"type": kind, "event": event})
    except Exception:
        # Warning, not error: a dropped push is within the contract (clients catch up over
        # REST). The traceback says why (layer down, full, misconfigured).
        logger.warning(
            "real-time push of %s to %d users failed",
            event.get("type"),
            len(groups),
            exc_info=True,
        )


def send_to_user_on_commit(user_id: int, event: Event | Callable[[], Event | None]) -> None:
    """After the current transaction commits, push `event` to the user's sockets.

    `event` may be a callable, evaluated after commit (e.g. to include a fresh unread
    count); if it returns None (what it describes is gone by then) nothing is sent. Nothing
    is sent if the transaction rolls back.
    """
    send_to_users_on_commit([user_id], event)


def send_to_users_on_commit(
    user_ids: Iterable[int],
    event: Event | Callable[[], Event | None],
    *,
    only_online: bool = False,
) -> None:
    """`send_to_user_on_commit` for several users (one event, rendered once)."""
    ids = list(user_ids)

    def send() -> None:
        try:
            payload = event() if callable(event) else event
        except Exception:
            logger.exception("could not build a real-time event")
            return
        if payload is not None:
            send_now(ids, payload, only_online=only_online)

    transaction.on_commit(send)


def close_user_sockets_on_commit(user_id: int) -> None:
    """Close every open socket of the user (logout, password change, deactivation)."""

    def send() -> None:
        send_now([user_id], {"type": "close"}, kind="stream.close")

    transaction.on_commit(send)
