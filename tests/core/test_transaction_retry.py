"""core.db: a service transaction that meets a deadlock or a serialization failure runs
again (docs/reliability.md trap 13), its side effects only once; a conflict left after the last
attempt answers 503 with Retry-After, never 500. The conflicts are real PostgreSQL errors
(tests/core/boom_urls.py); the lock-order storms are tests/integration/test_deadlocks.py."""

import pytest
from django.db import OperationalError, connection, transaction
from rest_framework.test import APIClient

from core import db
from tests.conftest import service_missing
from tests.core.boom_urls import serialization_failure
from tests.factories import UserFactory
from tests.shapes import error

pytestmark = pytest.mark.django_db(transaction=True)  # the retried transaction is outermost


@pytest.fixture(autouse=True)
def postgres(settings):
    if not settings.IS_POSTGRES:
        service_missing("conflicts need PostgreSQL (DATABASE_URL=postgres://...)")


def test_a_conflict_is_retried_and_only_the_committed_attempt_has_side_effects():
    attempts: list[int] = []
    effects: list[int] = []

    @db.atomic_with_retry
    def work() -> int:
        attempts.append(len(attempts) + 1)
        attempt = attempts[-1]
        transaction.on_commit(lambda: effects.append(attempt))
        if attempt < db.ATTEMPTS:
            serialization_failure()
        return attempt

    assert work() == db.ATTEMPTS
    assert attempts == list(range(1, db.ATTEMPTS + 1))
    assert effects == [db.ATTEMPTS]


def test_a_conflict_left_after_the_last_attempt_is_raised():
    attempts = []

    @db.atomic_with_retry
    def work() -> None:
        attempts.append(1)
        serialization_failure()

    with pytest.raises(OperationalError) as raised:
        work()
    assert db.is_conflict(raised.value)
    assert len(attempts) == db.ATTEMPTS


def test_inside_an_enclosing_transaction_there_is_no_retry():
    attempts = []

    @db.atomic_with_retry
    def work() -> None:
        attempts.append(1)
        serialization_failure(set_isolation=False)

    with pytest.raises(OperationalError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        work()
    assert attempts == [1]


def test_other_database_errors_are_not_retried():
    attempts = []

    @db.atomic_with_retry
    def work() -> None:
        attempts.append(1)
        UserFactory(username="twice")
        UserFactory(username="twice")

    with pytest.raises(Exception) as raised:
        work()
    assert not db.is_conflict(raised.value)
    assert attempts == [1]


@pytest.mark.parametrize("kind", ["django", "drf"])
def test_a_conflict_left_after_the_retries_is_503_with_retry_after(settings, kind):
    settings.ROOT_URLCONF = "tests.core.boom_urls"
    client = APIClient(raise_request_exception=False)

    response = client.get(f"/api/v1/test-fail/{kind}/conflict/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == error(
        "service_unavailable",
        "Too many requests changed the same data at once. Try again in a few seconds.",
    )
    assert client.get("/readyz").json()["degraded"] == {
        "transaction_conflict": 1,
        "transaction_retried": db.ATTEMPTS - 1,
    }


def test_lock_rows_returns_the_rows_that_exist_in_ascending_order():
    users = UserFactory.create_batch(3)
    ids = [user.pk for user in users]
    with transaction.atomic():
        assert db.lock_rows(type(users[0]), [ids[2], ids[0], ids[2] + 1000], mode="KEY SHARE") == [
            ids[0],
            ids[2],
        ]
    with pytest.raises(ValueError):
        db.lock_rows(type(users[0]), ids, mode="EXCLUSIVE")
