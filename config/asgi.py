"""One ASGI application for HTTP and WebSocket: daphne serves all of it in `make run`, and
only `/ws/` in production, where gunicorn serves HTTP (docs/scaling.md).

An ASGI server imports this module before Django loads the settings, and settings take
PostgreSQL connections from a pool when it does (docs/reliability.md trap 11).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before anything imports models (consumers, auth middleware).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from config.celery import app as celery_app  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402
from core.beat import start_embedded_beat  # noqa: E402
from core.daphne import bound_websocket_send_buffers, leave_request_bodies_to_django  # noqa: E402
from core.websocket import OriginValidator  # noqa: E402

leave_request_bodies_to_django()
bound_websocket_send_buffers(settings.STREAM_SEND_BUFFER_BYTES)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": OriginValidator(URLRouter(websocket_urlpatterns)),
    }
)

# Without a broker nothing else runs the periodic tasks: the serving process does (core/beat.py).
start_embedded_beat(celery_app)
