"""Service transactions that survive lock conflicts (docs/reliability.md trap 13).

Two transactions that lock the same rows in different orders deadlock, and PostgreSQL
kills one of them (SQLSTATE 40P01); under REPEATABLE READ or SERIALIZABLE a concurrent
update aborts one with a serialization failure (40001). Services avoid the first by
locking in one order (docs/reliability.md, "Lock order"), and `atomic_with_retry` runs
what is left again: the whole transaction, a bounded number of times, with jittered
backoff. Only what the transaction wrote is retried; side effects are scheduled with
`transaction.on_commit`, and Django drops the callbacks of an attempt that rolled back, so
a retried attempt never sends a task, a push or a cache write twice.

A conflict still there after the last attempt propagates as the database error: a
request answers 503 `service_unavailable` with Retry-After
(core.middleware.ServiceUnavailableMiddleware), a Celery task retries with its own backoff.

`lock_rows` takes row locks in ascending primary-key order, in the strength a service
needs (PostgreSQL's FOR UPDATE, FOR NO KEY UPDATE, FOR SHARE, FOR KEY SHARE; Django's
select_for_update has no share modes).
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable, Iterable
from typing import ParamSpec, TypeVar

import psycopg
from django.db import DatabaseError, connection, transaction
from django.db.models import Model
from django.utils import timezone

from core import outages

logger = logging.getLogger(__name__)

DEADLOCK_DETECTED = "40P01"
SERIALIZATION_FAILURE = "40001"
CONFLICT_SQLSTATES = frozenset({DEADLOCK_DETECTED, SERIALIZATION_FAILURE})

# Attempts in all (the first and two retries), and the base of the backoff between them:
# attempt n waits a random time up to BACKOFF_SECONDS * 2**(n-1) (0-50 ms, then 0-100 ms).
# A conflict lasts as long as the transaction it met, a few milliseconds here.
ATTEMPTS = 3
BACKOFF_SECONDS = 0.05

LOCK_MODES = frozenset({"UPDATE", "NO KEY UPDATE", "SHARE", "KEY SHARE"})

P = ParamSpec("P")
R = TypeVar("R")


def is_conflict(exc: BaseException | None) -> bool:
    """Whether `exc` is a deadlock or a serialization failure, errors that running the
    same transaction again can cure."""
    if not isinstance(exc, DatabaseError):
        return False
    cause = exc.__cause__
    return isinstance(cause, psycopg.Error) and cause.sqlstate in CONFLICT_SQLSTATES


def atomic_with_retry(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a service: run it in `transaction.atomic`, and run it again (up to ATTEMPTS
    in all) if the transaction meets a deadlock or a serialization failure.

    Inside an enclosing transaction it is a plain `atomic` block: the outermost
    transaction holds the locks, and only it can be retried, by its owner.
    """

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if connection.in_atomic_block:
            with transaction.atomic():
                return func(*args, **kwargs)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with transaction.atomic():
                    return func(*args, **kwargs)
            except DatabaseError as exc:
                if not is_conflict(exc) or attempt == ATTEMPTS:
                    raise
                outages.record("transaction_retried", exc)
                time.sleep(random.uniform(0, BACKOFF_SECONDS * 2 ** (attempt - 1)))  # noqa: S311
        raise AssertionError("unreachable")  # the loop returns or raises

    return run


def lock_rows(model: type[Model], pks: Iterable[int], *, mode: str) -> list[int]:
    """Lock these rows of `model` in ascending primary-key order (`mode`: "UPDATE", "NO KEY
    UPDATE", "SHARE" or "KEY SHARE") and return the primary keys of those that exist, in
    that order. Call inside a transaction. Where the database has no row locks (SQLite,
    whose writers take turns) it only reads."""
    if mode not in LOCK_MODES:
        raise ValueError(f"unknown lock mode {mode!r}")
    wanted = sorted(set(pks))
    if not wanted:
        return []
    if not connection.features.has_select_for_update:
        return sorted(model._default_manager.filter(pk__in=wanted).values_list("pk", flat=True))
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.pk.column)
    # ORDER BY sorts below the locking step, so rows are locked in this order.
    sql = f"SELECT {column} FROM {table} WHERE {column} = ANY(%s) ORDER BY {column} FOR {mode}"  # noqa: S608 (names quoted, mode checked)
    with connection.cursor() as cursor:
        cursor.execute(sql, [wanted])
        return [row[0] for row in cursor.fetchall()]


def set_hidden(row: Model, hidden: bool) -> Model:
    """A moderator's hide (or its reversal) of a tweet, comment or message: `hidden_at`
    set to now, or cleared; a row already so is left as it is. Lock the row first."""
    if (row.hidden_at is not None) != hidden:
        row.hidden_at = timezone.now() if hidden else None
        row.save(update_fields=["hidden_at"])
    return row
