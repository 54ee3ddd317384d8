"""WebSocket policy: the close codes, unknown paths, and the origin check (docs/reliability.md
trap 3).

Close codes are application codes (4000-4999), the only range besides 1000 that daphne lets
an application send: it turns anything else, such as the standard 1013 "try again later",
into 1011. Each mirrors the HTTP status a REST client would get. docs/realtime.md lists them.

Channels' AllowedHostsOriginValidator refuses a handshake that has no Origin header, which is
every mobile client. Browsers always send Origin on a WebSocket handshake, so a missing one
cannot be a cross-site page; the access token in the query string authenticates the socket.
A present Origin must match ALLOWED_HOSTS (host names, any scheme and port) or
CORS_ALLOWED_ORIGINS (the SPAs' own origins, with scheme and port); anything else, `null`
included, is refused before the consumer runs.
"""

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.security.websocket import OriginValidator as ChannelsOriginValidator
from django.conf import settings

UNAUTHORIZED = 4401  # no valid access token, or it was revoked: refresh, then reconnect
NOT_FOUND = 4404  # no socket lives at this path
TRY_AGAIN_LATER = 4503  # a service the socket needs is unreachable: reconnect with backoff
# The client did not read: what waited to be written to it passed STREAM_SEND_BUFFER_BYTES
# (core/daphne.py). Reconnect, and catch up over REST.
TOO_SLOW = 4408


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Every path no route matches (config/routing.py's last route): accepted, then closed
    with 4404 at once, since a close code travels only on an open socket. Without it,
    Channels' URLRouter raises, which daphne logs as a traceback and answers with a 500."""

    async def connect(self) -> None:
        await self.accept()
        await self.close(code=NOT_FOUND)


class OriginValidator(ChannelsOriginValidator):
    def __init__(self, application) -> None:
        super().__init__(application, [])

    @property
    def allowed_origins(self) -> list[str]:
        # Read on every handshake, not once at import: settings overrides (tests) apply.
        allowed = list(settings.ALLOWED_HOSTS) + list(settings.CORS_ALLOWED_ORIGINS)
        if settings.DEBUG and not settings.ALLOWED_HOSTS:
            allowed += ["localhost", "127.0.0.1", "[::1]"]
        return allowed

    @allowed_origins.setter
    def allowed_origins(self, value) -> None:
        pass  # computed from settings; the base class's assignment is ignored

    def valid_origin(self, parsed_origin) -> bool:
        if parsed_origin is None:
            return True
        return self.validate_origin(parsed_origin)
