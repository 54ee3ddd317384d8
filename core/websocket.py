"""WebSocket origin policy (RELIABILITY.md, trap 3).

Channels' AllowedHostsOriginValidator refuses a handshake that has no Origin header, which is
every mobile client. Browsers always send Origin, so a missing one cannot be a cross-site
page; the access token in the query string authenticates the socket. A present Origin must
match ALLOWED_HOSTS or WEBSOCKET_ALLOWED_ORIGINS (the SPA's own origins).
"""

from channels.security.websocket import OriginValidator as ChannelsOriginValidator
from django.conf import settings


class OriginValidator(ChannelsOriginValidator):
    def __init__(self, application) -> None:
        allowed = list(settings.ALLOWED_HOSTS) + list(settings.CORS_ALLOWED_ORIGINS)
        if settings.DEBUG and not settings.ALLOWED_HOSTS:
            allowed += ["localhost", "127.0.0.1", "[::1]"]
        super().__init__(application, allowed)

    def valid_origin(self, parsed_origin) -> bool:
        if parsed_origin is None:
            return True
        return self.validate_origin(parsed_origin)
