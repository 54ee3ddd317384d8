"""WebSocket routes. Apps that own a socket add their patterns here."""

from django.urls import path, re_path

from core.websocket import UnknownPathConsumer
from messaging.consumers import ChatStreamConsumer

websocket_urlpatterns = [
    # The stream (notifications.consumers) with the chat's frames (messaging.consumers).
    path("ws/stream/", ChatStreamConsumer.as_asgi()),
    re_path(r"", UnknownPathConsumer.as_asgi()),  # last: anything else closes with 4404
]
