"""The real-time stream: ws://HOST/ws/stream/?token=<access JWT>.

Thin: authenticate, join the user's group, forward events. Every socket of a user joins
`user.<id>`, so a phone and a browser both get each event.
"""

import collections
import json
import logging
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import User
from core import outages, parsers, presence
from core.authentication import JWTAuthentication
from core.channel_layer import record_drop
from core.realtime import user_group
from core.websocket import TRY_AGAIN_LATER, UNAUTHORIZED

logger = logging.getLogger(__name__)


def absolute_media_urls(event, base_url: str):
    """Events are rendered after commit, outside any request, so the REST serializers write
    media URLs (`avatar_url`) as paths; REST answers carry absolute URLs. Prefix them with the
    site this socket connected to, so a client never sees two shapes of one object."""
    if isinstance(event, dict):
        return {
            key: (
                base_url + value
                if key == "avatar_url" and isinstance(value, str) and value.startswith("/")
                else absolute_media_urls(value, base_url)
            )
            for key, value in event.items()
        }
    if isinstance(event, list):
        return [absolute_media_urls(item, base_url) for item in event]
    return event


@database_sync_to_async
def user_for_token(raw: str) -> User | None:
    """The active user an access token belongs to, or None for a bad, expired or revoked
    token (revoked: issued before the last password change): the REST API's own check."""
    authentication = JWTAuthentication()
    try:
        return authentication.get_user(authentication.get_validated_token(raw))
    except AuthenticationFailed:  # InvalidToken included
        return None


UNKNOWN_FRAME = "Unknown message; send one of: {}."


class StreamConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None
    user: User | None = None
    # The frames a client may send, by "type": the method that answers each. Apps that take
    # frames on this socket extend it in a subclass (messaging.consumers, config/routing.py).
    frames = {"ping": "on_ping"}
    # Pushed events (core.channel_layer's push loop) that came while this consumer was
    # handling something else; sent, in order, when that is done (dispatch).
    pushed: collections.deque | None = None
    busy = False

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except outages.REDIS_DOWN_ERRORS as exc:
            # The channel layer's Redis went away (or hung) under an open socket, which can
            # get no event any more: "try again later", as at connect, rather than a crashed
            # consumer, a traceback and 1011. The client reconnects with backoff and catches
            # up over REST; its group and presence are rebuilt when it does.
            outages.record("channel_layer_unavailable", exc)
            if self.group is not None:
                await sync_to_async(presence.socket_closed)(self.user_id)
            await send({"type": "websocket.close", "code": TRY_AGAIN_LATER})
        finally:
            unregister = getattr(self.channel_layer, "unregister_push_target", None)
            if unregister is not None and hasattr(self, "channel_name"):
                unregister(self.channel_name)

    async def dispatch(self, message: dict) -> None:
        # One message at a time, as Channels runs them; pushed events that arrive meanwhile
        # wait, so the ack of a message.send still precedes that message's event.
        self.busy = True
        try:
            await super().dispatch(message)
            while self.pushed:
                await self.send(text_data=self.render_event(self.pushed.popleft()["event"]))
        finally:
            self.busy = False

    async def push_event(self, message: dict, frames: dict) -> None:
        """The push loop's delivery (core.channel_layer): the same frame `stream_event`
        sends, rendered once per push for all the sockets that render it alike (the host
        they connected to), without the per-socket task wake-ups and thread hop of a
        channel-layer message."""
        if self.busy:
            capacity = self.channel_layer.capacity
            if len(self.pushed) >= capacity:
                self.pushed.popleft()  # the oldest, as the layer's own buffers do
                record_drop("socket", 1, f"a socket's buffer of {capacity} is full")
            self.pushed.append(message)
            return
        key = (type(self).render_event, self.base_url())
        text = frames.get(key)
        if text is None:
            text = frames[key] = self.render_event(message["event"])
        await self.send(text_data=text)

    def register_for_pushes(self) -> None:
        """Take `stream.event` messages from the layer's push loop when the layer has one
        (Redis) and this class renders them as StreamConsumer does (a subclass that renders
        per socket, such as Mastodon's, keeps the layer's per-channel path)."""
        register = getattr(self.channel_layer, "register_push_target", None)
        if register is not None and type(self).stream_event is StreamConsumer.stream_event:
            self.pushed = collections.deque()
            register(self.channel_name, self)

    async def connect(self) -> None:
        # Accept first: a close code can only be sent on an open socket (4401 tells the client
        # to refresh its token rather than retry blindly), and the server's handshake timeout
        # (daphne's 5 s) must not run out while the token's user is looked up, e.g. while
        # the database pool waits for a database that is away.
        await self.accept()
        try:
            user = await self.authenticate()
        except Exception as exc:
            # The database is down: the same "try again later" as REST's 503, without a
            # traceback or the 1011 of a crashed consumer. Anything else is a bug.
            if outages.unavailable_service(exc) is None:
                raise
            outages.record("database_unavailable", exc)
            await self.close(code=TRY_AGAIN_LATER)
            return
        if user is None:
            await self.close(code=UNAUTHORIZED)
            return
        self.user, self.user_id = user, user.pk
        # Counted online before joining the group, so a fan-out never skips a socket that
        # is already listening (core.presence).
        await sync_to_async(presence.socket_opened)(user.pk)
        self.register_for_pushes()  # before joining: every event of the group takes one path
        try:
            await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
        except Exception:
            # Without the layer this socket would never get an event: say so, and let the
            # client reconnect later (and catch up over REST meanwhile).
            logger.warning("channel layer unreachable; refusing a stream socket", exc_info=True)
            await sync_to_async(presence.socket_closed)(user.pk)
            await self.close(code=TRY_AGAIN_LATER)
            return
        self.group = user_group(user.pk)

    async def authenticate(self) -> User | None:
        """The socket's user: the `token` query parameter's (an access JWT); None without
        one or for a bad one. The Mastodon layer's socket takes its own tokens too."""
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        raw = (query.get("token") or [""])[0]
        return await user_for_token(raw) if raw else None

    async def disconnect(self, code: int) -> None:
        if self.group is None:
            return
        group, self.group = self.group, None
        try:
            await self.channel_layer.group_discard(group, self.channel_name)
        except Exception:
            # The layer's Redis is away: the channel stays in the group until the layer's
            # group_expiry (a day), and events sent to it wait unread in this process.
            logger.warning("channel layer unreachable; a closed socket stays in %s", group)
        finally:
            await sync_to_async(presence.socket_closed)(self.user_id)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        # The base class raises on a binary or empty frame, which would drop the socket with
        # 1011; a client's garbage gets an error event instead, like bad JSON does.
        if not text_data:
            await self.receive_json(None)
            return
        await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        handler = self.frames.get(kind) if isinstance(kind, str) else None
        if handler is None:
            await self.send_json(
                {
                    "type": "error",
                    "code": "unknown_message",
                    "detail": UNKNOWN_FRAME.format(", ".join(sorted(self.frames))),
                }
            )
            return
        await getattr(self, handler)(content)

    async def on_ping(self, content: dict) -> None:
        await self.send_json({"type": "pong"})

    @classmethod
    async def decode_json(cls, text_data):
        # The same parser as request bodies: a frame nested thousands deep is garbage, not
        # a RecursionError that drops the socket.
        try:
            return parsers.loads(text_data)
        except ValueError:
            return None

    async def stream_event(self, message: dict) -> None:
        await self.send(text_data=self.render_event(message["event"]))

    def render_event(self, event: dict) -> str:
        """The frame of a pushed event on this socket (send_json's encoding)."""
        return json.dumps(absolute_media_urls(event, self.base_url()))

    def base_url(self) -> str:
        """The site this socket reached, as REST's build_absolute_uri would write it."""
        if getattr(self, "_base_url", None) is None:
            headers = dict(self.scope.get("headers") or [])
            host = headers.get(b"host", b"").decode("latin1")
            scheme = "https" if self.scope.get("scheme") in ("wss", "https") else "http"
            self._base_url = f"{scheme}://{host}" if host else ""
        return self._base_url

    async def stream_close(self, message: dict) -> None:
        await self.close(code=UNAUTHORIZED)
