"""Blocks and mutes: who shields themselves from whom.

These rows are consulted by every app that shows or delivers content (tweets, follows,
feeds, notifications, messages), so the app sits low: it depends on accounts only. The
writes that a block sets off (follows, feed rows, notifications) live in
friendships.services; see docs/safety.md.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Block(models.Model):
    """`blocker` blocks `blocked`. It applies in both directions (docs/safety.md)."""

    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Also the index of "whom does X block" and of "does X block Y".
            models.UniqueConstraint(fields=["blocker", "blocked"], name="safety_block_uniq"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="safety_block_no_self"),
        ]
        indexes = [
            # "Who blocks X" and "does Y block X" (the other direction of every check).
            models.Index(fields=["blocked", "blocker"], name="safety_block_blocked"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


class Mute(models.Model):
    """`muter` mutes `muted`, until `expires_at` (None: until unmuted). One-way and silent.

    An expired row is simply no longer applied: every read compares `expires_at` with the
    time of the read, so no task has to end a mute."""

    muter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    muted = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["muter", "muted"], name="safety_mute_uniq"),
            models.CheckConstraint(condition=~Q(muter=F("muted")), name="safety_mute_no_self"),
        ]
        indexes = [
            # Fan-out: which of the author's followers mute the author.
            models.Index(fields=["muted", "muter"], name="safety_mute_muted"),
        ]

    def __str__(self) -> str:
        return f"{self.muter_id} mutes {self.muted_id}"
