"""GET /api/v1/streaming over WebSocket: Mastodon's `user` stream (docs/mastodon.md).

The same socket as Chirp's stream (notifications.consumers.StreamConsumer: the user's
group, presence, outages), fed by the same after-commit pushes; only the framing differs.
Each Chirp event is rendered as Mastodon's: a `notification` as Notification, a `newsfeed`
(fan-out put a tweet in the user's feed) as an `update` with the Status, a `tweet_deleted`
as a `delete` whose payload is the id; frames are
`{"stream": ["user"], "event": ..., "payload": "<the entity as JSON, or the id>"}`. Other
events (direct messages, typing) have no Mastodon event and are not sent.
"""

import json
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from mastodon_api import selectors
from mastodon_api.entities import Links
from mastodon_api.rendering import NOTIFICATION_TYPES, Renderer
from notifications import selectors as notification_selectors
from notifications.consumers import StreamConsumer, user_for_token
from tweets.payloads import render_tweets

STREAMS = {"user", "user:notification"}


class SocketRequest:
    """What the renderers need of a request: the viewer, and absolute URLs on the host
    and scheme the socket reached."""

    def __init__(self, base_url: str, user: User) -> None:
        self.base_url = base_url
        self.user = user

    def build_absolute_uri(self, path: str = "/") -> str:
        return self.base_url + path


@database_sync_to_async
def user_for_oauth_token(raw: str) -> User | None:
    """The active user of a live OAuth access token with a read scope, or None."""
    token = selectors.get_access_token(raw=raw)
    if token is None or token.user is None or not token.user.is_active:
        return None
    if not token.is_valid() or not ({"read", "read:statuses"} & set(token.scope.split())):
        return None
    return token.user


class MastodonStreamConsumer(StreamConsumer):
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.scope.get("query_string", b"").decode("latin1"))

    async def authenticate(self) -> User | None:
        """The token from `access_token`, the `Sec-WebSocket-Protocol` header or an
        `Authorization: Bearer` header (Mastodon takes all three): an OAuth token or a
        Chirp JWT. Only the user stream is served."""
        query = self.query()
        self.stream = (query.get("stream") or ["user"])[0]
        if self.stream not in STREAMS:
            return None
        headers = dict(self.scope.get("headers") or [])
        raw = (query.get("access_token") or [""])[0]
        raw = raw or headers.get(b"sec-websocket-protocol", b"").decode("latin1")
        bearer = headers.get(b"authorization", b"").decode("latin1")
        raw = raw or bearer.removeprefix("Bearer ").strip()
        if not raw:
            return None
        if raw.count(".") == 2:
            return await user_for_token(raw)
        return await user_for_oauth_token(raw)

    async def receive_json(self, content, **kwargs) -> None:
        """Mastodon clients may (un)subscribe to streams over the socket: this socket has
        the one stream it was opened for, so such frames change nothing. Chirp's `ping`
        still answers `pong` (a client may check the socket is live)."""
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.on_ping(content)

    def translate(self, event: dict) -> dict | None:
        request = SocketRequest(self.base_url(), self.user or AnonymousUser())
        renderer = Renderer(request, Links(request, self.root()))
        kind = event.get("type")
        if kind == "notification":
            notification = (
                notification_selectors.list_notifications(recipient=self.user)
                .filter(pk=event["notification"]["id"])
                .first()
            )
            if notification is None or notification.verb not in NOTIFICATION_TYPES:
                return None
            return self.frame("notification", renderer.render_notifications([notification]))
        if kind == "newsfeed" and self.stream == "user":
            items = render_tweets([event["tweet_id"]], viewer=self.user, request=request)
            return self.frame("update", renderer.statuses_from_items(items))
        return None

    async def stream_event(self, message: dict) -> None:
        event = message["event"]
        if event.get("type") == "tweet_deleted":
            # No read: Mastodon's payload is the bare id (a string, not an entity).
            if self.stream == "user":
                payload = str(event["tweet_id"])
                await self.send_json(
                    {"stream": [self.stream], "event": "delete", "payload": payload}
                )
            return
        frame = await database_sync_to_async(self.translate)(event)
        if frame is not None:
            await self.send_json(frame)

    def frame(self, event: str, entities: list[dict]) -> dict | None:
        if not entities:
            return None
        return {"stream": [self.stream], "event": event, "payload": json.dumps(entities[0])}

    def root(self) -> str:
        path = self.scope.get("path", "")
        return settings.MASTODON_PREFIX if path.startswith(settings.MASTODON_PREFIX + "/") else ""
