"""The project's URLs plus views that fail unexpectedly (the 500 tests) or because a service
is unreachable (the 503 tests)."""

import redis
from django.db import connection, connections, transaction
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from config.urls import handler400, handler403, handler404, handler500, urlpatterns

SECRET = "kaboom-internal-detail-4f2a"


def django_boom(request):
    raise RuntimeError(SECRET)


@api_view(["GET", "POST"])
@permission_classes([AllowAny])
def drf_boom(request):
    raise RuntimeError(SECRET)


def connect_to_nothing() -> None:
    """A real connection attempt to a PostgreSQL port nothing listens on: psycopg's own
    "connection refused", wrapped by Django as when the server is stopped."""
    settings_dict = {**connection.settings_dict, "HOST": "127.0.0.1", "PORT": "1"}
    connections["default"].__class__(settings_dict, alias="unreachable").ensure_connection()


def bad_sql() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")


def statement_timeout() -> None:
    """An OperationalError from a server that is up: a statement cancelled by its timeout."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 1")
        cursor.execute("SELECT pg_sleep(1)")


def redis_refused() -> None:
    redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=1).ping()


FAILURES = {
    "database-down": connect_to_nothing,
    "bad-sql": bad_sql,
    "statement-timeout": statement_timeout,
    "redis-down": redis_refused,
}


def django_fail(request, failure):
    FAILURES[failure]()


@api_view(["GET", "POST"])
@permission_classes([AllowAny])
def drf_fail(request, failure):
    FAILURES[failure]()


urlpatterns = [
    path("api/v1/test-boom/django/", django_boom),
    path("api/v1/test-boom/drf/", drf_boom),
    path("api/v1/test-fail/django/<str:failure>/", django_fail),
    path("api/v1/test-fail/drf/<str:failure>/", drf_fail),
    *urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
