"""WebSocket origin policy (RELIABILITY.md, trap 3).

Channels' AllowedHostsOriginValidator refuses a handshake that has no Origin header, which is
every mobile client. Browsers always send Origin on a WebSocket handshake, so a missing one
cannot be a cross-site page; the access token in the query string authenticates the socket.
A present Origin must match ALLOWED_HOSTS (host names, any scheme and port) or
CORS_ALLOWED_ORIGINS (the SPAs' own origins, with scheme and port); anything else, `null`
included, is refused before the consumer runs.
"""

from channels.security.websocket import OriginValidator as ChannelsOriginValidator
from django.conf import settings


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
