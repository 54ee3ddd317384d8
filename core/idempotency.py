"""Idempotent POSTs (docs/api.md, "Writes: strict input and idempotency").

A signed-in client may send `Idempotency-Key: <1-255 visible ASCII characters>` with any
POST. The first request with a key reserves it (a row, committed at once, so concurrent
requests see it), runs, and stores its answer for IDEMPOTENCY_KEY_TTL_SECONDS. A repeat
with the same method, path and body replays that answer with `Idempotent-Replayed: true`
and does nothing else; with another one it answers 422 `idempotency_key_reused`; while the
first still runs, 409 `idempotency_key_in_use`. A 5xx is not stored: the key is released
and the client may retry. The row lives in the database, not the cache, so a Redis restart
cannot turn a retry into a duplicate. docs/api-writes.md tells the whole story.
"""

import hashlib
import json
import logging
import re
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpResponse, QueryDict
from django.utils import timezone
from rest_framework.request import Request

from core.exceptions import IdempotencyKeyInUse, IdempotencyKeyInvalid, IdempotencyKeyReused
from core.models import IdempotencyKey

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Visible ASCII: no space, no control character, nothing beyond 0x7E.
VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")


class Replay(Exception):
    """Raised from a view's `initial()` to answer with a stored response instead."""

    def __init__(self, stored: IdempotencyKey) -> None:
        super().__init__(stored.key)
        self.stored = stored

    def response(self) -> HttpResponse:
        response = HttpResponse(
            bytes(self.stored.body),
            status=self.stored.status_code,
            content_type=self.stored.content_type or None,
        )
        response[REPLAYED_HEADER] = "true"
        return response


def key_of(request: Request) -> str | None:
    """The request's Idempotency-Key when one applies: signed-in POSTs only (anonymous ones,
    signup and logins, ignore it). IdempotencyKeyInvalid (400) for a malformed key."""
    key = request.headers.get(HEADER)
    if key is None or request.method != "POST" or not request.user.is_authenticated:
        return None
    if not VALID_KEY.fullmatch(key):
        raise IdempotencyKeyInvalid()
    return key


def fingerprint_of(request: Request) -> str:
    """SHA-256 of what makes two requests the same: method, path with query, parsed body
    (so key order and spacing in JSON do not matter; uploaded files count by content)."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.get_full_path()}\n".encode())
    data = request.data
    if isinstance(data, QueryDict):
        items = [[name, data.getlist(name)] for name in sorted(data)]
        data = [[name, [_file_digest(v) for v in values]] for name, values in items]
    digest.update(json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode())
    return digest.hexdigest()


def _file_digest(value):
    if not isinstance(value, UploadedFile):
        return value
    digest = hashlib.sha256()
    for chunk in value.chunks():  # chunks() starts from the beginning, and so will the view
        digest.update(chunk)
    value.seek(0)
    return f"file:{value.name}:{digest.hexdigest()}"


def reserve(*, user, key: str, fingerprint: str) -> IdempotencyKey:
    """Take `key` for this request, or raise: Replay (done, same request),
    IdempotencyKeyReused (another request), IdempotencyKeyInUse (still running).

    A key past its expiry, or RUNNING for longer than IDEMPOTENCY_LOCK_SECONDS (its request
    died, or could not record its answer), is taken over and runs again.
    """
    for _ in range(3):  # a reservation released or taken over meanwhile: look again
        now = timezone.now()
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    user=user,
                    key=key,
                    fingerprint=fingerprint,
                    locked_at=now,
                    expires_at=now + timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS),
                )
        except IntegrityError:
            pass
        stored = IdempotencyKey.objects.filter(user=user, key=key).first()
        if stored is None:
            continue
        abandoned = stored.state == IdempotencyKey.State.RUNNING and (
            stored.locked_at <= now - timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS)
        )
        if stored.expires_at <= now or abandoned:
            if _take_over(stored, fingerprint=fingerprint, now=now):
                return stored
            continue
        if stored.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        if stored.state == IdempotencyKey.State.RUNNING:
            raise IdempotencyKeyInUse()
        raise Replay(stored)
    raise IdempotencyKeyInUse()


def _take_over(stored: IdempotencyKey, *, fingerprint: str, now) -> bool:
    """Reset an expired or abandoned key for a new request, unless another did it first."""
    fresh = {
        "fingerprint": fingerprint,
        "state": IdempotencyKey.State.RUNNING,
        "status_code": None,
        "content_type": "",
        "body": b"",
        "locked_at": now,
        "expires_at": now + timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS),
    }
    won = IdempotencyKey.objects.filter(pk=stored.pk, locked_at=stored.locked_at).update(**fresh)
    for name, value in fresh.items():
        setattr(stored, name, value)
    return won == 1


def settle(reservation: IdempotencyKey, response) -> None:
    """Store the answer of the request holding `reservation`, or release the key after a
    5xx. A failure to record it is logged, not raised: the write itself has happened, and
    the client gets its answer; the key stays RUNNING until IDEMPOTENCY_LOCK_SECONDS."""
    mine = IdempotencyKey.objects.filter(pk=reservation.pk, locked_at=reservation.locked_at)
    try:
        if response.status_code >= 500:
            mine.delete()
            return
        if hasattr(response, "render"):
            response.render()
        mine.update(
            state=IdempotencyKey.State.DONE,
            status_code=response.status_code,
            content_type=response.get("Content-Type", ""),
            body=response.content,
        )
    except DatabaseError:
        logger.warning("could not record the answer for Idempotency-Key %r", reservation.key)


def release(reservation: IdempotencyKey) -> None:
    """Give the key up after the request failed without an answer (an unhandled error)."""
    try:
        IdempotencyKey.objects.filter(pk=reservation.pk, locked_at=reservation.locked_at).delete()
    except DatabaseError:
        logger.warning("could not release Idempotency-Key %r", reservation.key)


def purge_expired_keys() -> int:
    """Delete the keys past their expiry; how many went."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


class IdempotentPostsMixin:
    """For viewsets: every signed-in POST honours Idempotency-Key (see the module)."""

    def initial(self, request: Request, *args, **kwargs) -> None:
        # After authentication, permissions and throttles: a 401, 403 or 429 is not stored
        # (a throttled retry must be able to run later).
        super().initial(request, *args, **kwargs)
        key = key_of(request)
        if key is not None and getattr(self, "action", None) is not None:
            fingerprint = fingerprint_of(request)
            self.idempotency_reservation = reserve(
                user=request.user, key=key, fingerprint=fingerprint
            )

    def handle_exception(self, exc):
        if isinstance(exc, Replay):
            return exc.response()
        return super().handle_exception(exc)

    def dispatch(self, request, *args, **kwargs):
        self.idempotency_reservation = None
        try:
            response = super().dispatch(request, *args, **kwargs)
        except BaseException:
            if self.idempotency_reservation is not None:
                release(self.idempotency_reservation)
            raise
        if self.idempotency_reservation is not None:
            settle(self.idempotency_reservation, response)
        return response
