"""The project's URLs plus views that fail unexpectedly (the 500 tests), because a service
is unreachable, or on a conflict their retries did not cure (the 503 tests)."""

import psycopg
import redis
from django.db import connection, connections, transaction
from django.urls import path
from rest_framework import viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny, IsAuthenticated

from config.urls import handler400, handler403, handler404, handler500, urlpatterns
from core.api import InputSerializersMixin
from core.db import atomic_with_retry

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


def serialization_failure(*, set_isolation: bool = True) -> None:
    """A real serialization failure (SQLSTATE 40001), in the current transaction: under
    REPEATABLE READ it updates a row that another connection changed and committed after
    this transaction took its snapshot. A deadlock (40P01) is the same kind of conflict;
    this one needs no timing. Without `set_isolation` the caller has set it (a savepoint
    cannot)."""
    db = connection.settings_dict
    params = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432, "user": db["USER"]}
    if db.get("PASSWORD"):
        params["password"] = db["PASSWORD"]
    with psycopg.connect(**params, dbname=db["NAME"], autocommit=True) as other:
        other.execute("CREATE TABLE IF NOT EXISTS test_conflict (id int PRIMARY KEY, n int)")
        other.execute("INSERT INTO test_conflict VALUES (1, 0) ON CONFLICT DO NOTHING")
        with connection.cursor() as cursor:
            if set_isolation:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT n FROM test_conflict WHERE id = 1")
            other.execute("UPDATE test_conflict SET n = n + 1 WHERE id = 1")
            cursor.execute("UPDATE test_conflict SET n = n + 1 WHERE id = 1")


@atomic_with_retry
def conflict_every_time() -> None:
    """A service whose transaction meets a conflict on every attempt."""
    serialization_failure()


def redis_refused() -> None:
    redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=1).ping()


FAILURES = {
    "database-down": connect_to_nothing,
    "bad-sql": bad_sql,
    "statement-timeout": statement_timeout,
    "redis-down": redis_refused,
    "conflict": conflict_every_time,
}


def django_fail(request, failure):
    FAILURES[failure]()


@api_view(["GET", "POST"])
@permission_classes([AllowAny])
def drf_fail(request, failure):
    FAILURES[failure]()


class FailingWriteViewSet(InputSerializersMixin, viewsets.GenericViewSet):
    """A signed-in POST that honours Idempotency-Key like every write, then fails."""

    permission_classes = [IsAuthenticated]

    def create(self, request, failure):
        if failure == "crash":
            raise RuntimeError(SECRET)
        FAILURES[failure]()


urlpatterns = [
    path(
        "api/v1/test-boom/idempotent/<str:failure>/",
        FailingWriteViewSet.as_view({"post": "create"}),
    ),
    path("api/v1/test-boom/django/", django_boom),
    path("api/v1/test-boom/drf/", drf_boom),
    path("api/v1/test-fail/django/<str:failure>/", django_fail),
    path("api/v1/test-fail/drf/<str:failure>/", drf_fail),
    *urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
