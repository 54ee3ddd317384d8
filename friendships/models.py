from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Friendship(models.Model):
    """`follower` follows `followee`."""

    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following_set"
    )
    followee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follower_set"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Also the index for "whom does X follow" (follower first).
            models.UniqueConstraint(fields=["follower", "followee"], name="friendships_uniq"),
            models.CheckConstraint(
                condition=~Q(follower=F("followee")), name="friendships_no_self"
            ),
        ]
        indexes = [
            # Followers of X, most recent follow first; also the fan-out's keyset scan.
            models.Index(fields=["followee", "follower"], name="friendships_followee_follower"),
            models.Index(fields=["followee", "-id"], name="friendships_followee_id_desc"),
            models.Index(fields=["follower", "-id"], name="friendships_follower_id_desc"),
        ]

    def __str__(self) -> str:
        return f"{self.follower_id} -> {self.followee_id}"


class FollowRequest(models.Model):
    """`requester` asked to follow `target`, a protected account; pending until the target
    accepts (it becomes a Friendship) or rejects it (docs/safety.md)."""

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    target = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "target"], name="friendships_request_uniq"
            ),
            models.CheckConstraint(
                condition=~Q(requester=F("target")), name="friendships_request_no_self"
            ),
        ]
        indexes = [
            # The target's pending requests, most recent first.
            models.Index(fields=["target", "-id"], name="friendships_request_target"),
        ]

    def __str__(self) -> str:
        return f"{self.requester_id} asks {self.target_id}"
