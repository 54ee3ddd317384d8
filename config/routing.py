"""WebSocket routes. Apps that own a socket add their patterns here."""

websocket_urlpatterns: list = []
