"""An account's deletion and its data exports (docs/lifecycle.md).

Both are long background jobs done in steps, each step in its own transaction. The row
says how far the job got and who works on it (`lease_until`): a worker that dies leaves an
expired lease, and the reconciler (lifecycle.tasks.resume) hands the job to another.
"""

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AccountDeletion(models.Model):
    """A deleted account's purge. The user row stays, erased, as the "Deleted account" a
    conversation shows; everything else of the account goes, step by step."""

    PENDING = "pending"
    DONE = "done"
    STATUSES = [(PENDING, "pending"), (DONE, "done")]

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    # The step under way (lifecycle.services.PURGE_STEPS); the steps before it are done.
    step = models.CharField(max_length=20, blank=True, default="")
    requested_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["lease_until"], condition=Q(status="pending"), name="lifecycle_del_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"deletion of {self.user_id} ({self.status}{', ' + self.step if self.step else ''})"


def export_storage():
    """Exports are private: a storage of their own (STORAGES["exports"]), outside the media
    that nginx serves, read only through the app's signed download."""
    return storages["exports"]


class DataExport(models.Model):
    """A zip of everything a user has, built in steps by a task (docs/lifecycle.md)."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    STATUSES = [(PENDING, "pending"), (RUNNING, "running"), (DONE, "done"), (FAILED, "failed")]
    UNFINISHED = (PENDING, RUNNING)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Names the export's files in storage: nothing in them is guessable.
    token = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    # How far the build got: the index of the part under way, and the last row id written
    # in it (parts are written a page of rows at a time).
    step = models.PositiveSmallIntegerField(default=0)
    cursor = models.BigIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The zip's name in the exports storage (export_storage()); empty until built and once
    # expired.
    archive = models.CharField(max_length=255, blank=True, default="")
    size = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One export at a time per user: a second request finds this one (the race of
            # two at once included).
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=["pending", "running"]),
                name="lifecycle_export_one_running",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-id"], name="lifecycle_export_user"),
            models.Index(
                fields=["lease_until"],
                condition=Q(status__in=["pending", "running"]),
                name="lifecycle_export_unfinished",
            ),
            models.Index(
                fields=["expires_at"], condition=Q(status="done"), name="lifecycle_export_expiry"
            ),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.user_id} ({self.status}, {self.progress}%)"
