from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    """The first answer to a signed-in POST sent with an `Idempotency-Key` header, kept so
    that a retry replays it instead of writing again (core/idempotency.py)."""

    class State(models.TextChoices):
        RUNNING = "running"  # the first request holds the key; a repeat answers 409
        DONE = "done"  # its answer is stored; a repeat replays it

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of the method, path and body: a repeat with another one answers 422.
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=7, choices=State.choices, default=State.RUNNING)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(blank=True, default=b"")
    # When the current holder took the key: a RUNNING key older than
    # IDEMPOTENCY_LOCK_SECONDS was left by a request that died, and may be taken over.
    locked_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="core_idempotencykey_user_key")
        ]
        indexes = [models.Index(fields=["expires_at"], name="core_idempotencykey_expires")]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"
