"""Degraded modes: which errors mean "a service is down", and what the process does then.

A request that cannot reach PostgreSQL, or Redis where Redis is required, answers 503
`service_unavailable` with `Retry-After`, never 500 (docs/reliability.md fault tests 8 and 9).
Only connection-level failures count as an outage: a statement timeout or a bad query is a
bug and stays a 500. A deadlock or serialization failure is a conflict between requests:
services retry it (core.db), and one still there after the last attempt answers 503 too
(core.middleware), counted as `transaction_conflict`.

Where Redis is only an optimisation, callers fail open instead (throttles, the feed cache,
presence, socket pushes) and `record()` counts each time they did: a rate-limited warning in
the log carries the running count, and `/readyz` lists the counts of this process under
`degraded`. See docs/errors.md and docs/fanout.md.
"""

import logging
import threading
import time
from collections import Counter

import psycopg
import redis
from django import db
from django.http import JsonResponse

logger = logging.getLogger(__name__)

# Seconds a client is told to wait before retrying a 503: long enough not to hammer a
# service that is restarting, short enough that a blip is not felt.
RETRY_AFTER_SECONDS = 5

# Redis errors that mean "not reachable" (refused, reset, timed out, still loading its
# data), as opposed to a wrong command or a script error, which are bugs.
REDIS_DOWN_ERRORS = (redis.ConnectionError, redis.TimeoutError)

# PostgreSQL error codes that mean the server will not serve this connection: class 08
# (connection exceptions), the server shutting down or starting (57P01-57P03), and no
# connection slot left (53300).
_CONNECTION_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}


def _database_unreachable(exc: BaseException) -> bool:
    if not isinstance(exc, db.OperationalError):
        return False
    # Django wraps the driver's error; only psycopg's tell a lost server from a bug (SQLite's
    # "database is locked" or "no such table" are not outages of a service).
    cause = exc.__cause__
    if not isinstance(cause, psycopg.OperationalError):
        return False
    sqlstate = cause.sqlstate
    if sqlstate is None:
        # Raised by the client before any server answer: connection refused or lost, a
        # closed connection, a connect or pool timeout.
        return True
    return sqlstate.startswith("08") or sqlstate in _CONNECTION_SQLSTATES


def unavailable_service(exc: BaseException | None) -> str | None:
    """The service `exc` says cannot be reached, "database" or "cache"; None for any other
    error, bugs included."""
    if exc is None:
        return None
    if _database_unreachable(exc):
        return "database"
    if isinstance(exc, REDIS_DOWN_ERRORS):
        return "cache"
    return None


def service_unavailable_response(service: str, detail: str | None = None) -> JsonResponse:
    """The 503 envelope, with Retry-After (docs/errors.md)."""
    from core.exception_handler import error_body

    body = error_body(
        "service_unavailable",
        detail or f"The {service} is unavailable. Try again in a few seconds.",
    )
    response = JsonResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


# --- counting degraded answers -------------------------------------------------------------

# One warning per event at most this often: an outage makes every request fail the same way,
# and the count says how many did.
LOG_INTERVAL_SECONDS = 10.0

_lock = threading.Lock()
_counts: Counter[str] = Counter()
_last_logged: dict[str, float] = {}


def record(event: str, exc: BaseException) -> int:
    """Count one occurrence of `event` (e.g. "throttle_fail_open") in this process and log
    a warning with the running count, at most once per LOG_INTERVAL_SECONDS per event.
    Returns the count."""
    now = time.monotonic()
    with _lock:
        _counts[event] += 1
        count = _counts[event]
        last = _last_logged.get(event)
        due = last is None or now - last >= LOG_INTERVAL_SECONDS
        if due:
            _last_logged[event] = now
    if due:
        logger.warning(
            "%s (%d in this process so far): %s: %s", event, count, type(exc).__name__, exc
        )
    return count


def counts() -> dict[str, int]:
    """Events recorded by this process since it started, by name."""
    with _lock:
        return dict(sorted(_counts.items()))


def reset() -> None:
    """Forget the counts (tests start from zero)."""
    with _lock:
        _counts.clear()
        _last_logged.clear()
