"""WebSocket routes. Apps that own a socket add their patterns here."""

from django.urls import path

from notifications.consumers import StreamConsumer

websocket_urlpatterns = [
    path("ws/stream/", StreamConsumer.as_asgi()),
]
