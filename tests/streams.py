"""Listening to the real-time stream from synchronous tests, without a socket.

`StreamListener(user_id)` joins a plain channel to the user's group (`user.<id>`), exactly
as every socket of that user does; `events()` returns what was pushed to it since. Pushes
happen after commit, so wrap the action in `django_capture_on_commit_callbacks(execute=True)`.

Works on both layers: the in-memory one (per process, fresh per test) and Redis (the test's
own prefix, set in tests/conftest.py). Every call to the layer happens inside one
`async_to_sync` call, because asgiref gives each call a new event loop and the in-memory
layer's queues bind to the loop that first waits on them.
"""

import asyncio
import uuid

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

from core.realtime import user_group

# How long to wait for one more message on Redis before deciding there is none. Pushes are
# sent before the action returns, so anything pushed is already waiting.
SETTLE_SECONDS = 0.3


class StreamListener:
    def __init__(self, user_id: int) -> None:
        self.layer = get_channel_layer()
        self.channel = f"test.listener.{uuid.uuid4().hex}"
        async_to_sync(self.layer.group_add)(user_group(user_id), self.channel)

    def events(self) -> list[dict]:
        """Every event pushed to the user since the last call, oldest first."""
        return async_to_sync(self._drain)()

    async def _drain(self) -> list[dict]:
        events = []
        while True:
            if isinstance(self.layer, InMemoryChannelLayer):
                queue = self.layer.channels.get(self.channel)
                if queue is None or queue.empty():
                    return events
            try:
                message = await asyncio.wait_for(self.layer.receive(self.channel), SETTLE_SECONDS)
            except TimeoutError:
                return events
            events.append(message["event"])
