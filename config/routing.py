"""WebSocket routes. Apps that own a socket add their patterns here."""

from django.conf import settings
from django.urls import path, re_path

from core.websocket import UnknownPathConsumer
from mastodon_api.consumers import MastodonStreamConsumer
from messaging.consumers import ChatStreamConsumer

websocket_urlpatterns = [
    # The stream (notifications.consumers) with the chat's frames (messaging.consumers).
    path("ws/stream/", ChatStreamConsumer.as_asgi()),
    # Mastodon's streaming socket, at the layer's root and MASTODON_HOST's (docs/mastodon.md).
    re_path(
        rf"^{settings.MASTODON_PREFIX.strip('/')}/api/v1/streaming/?$",
        MastodonStreamConsumer.as_asgi(),
    ),
    *(
        [re_path(r"^api/v1/streaming/?$", MastodonStreamConsumer.as_asgi())]
        if settings.MASTODON_HOST
        else []
    ),
    re_path(r"", UnknownPathConsumer.as_asgi()),  # last: anything else closes with 4404
]
