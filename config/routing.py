"""WebSocket routes. Apps that own a socket add their patterns here."""

from django.urls import path, re_path

from core.websocket import UnknownPathConsumer
from notifications.consumers import StreamConsumer

websocket_urlpatterns = [
    path("ws/stream/", StreamConsumer.as_asgi()),
    re_path(r"", UnknownPathConsumer.as_asgi()),  # last: anything else closes with 4404
]
