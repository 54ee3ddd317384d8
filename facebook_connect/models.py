"""What Chirp stores about a Facebook account (docs/facebook.md, "What is stored").

Everything here hangs off FacebookAccount or names a Facebook id, so data deletion can find
and remove all of it. The user token is encrypted at rest (facebook_connect.crypto).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from facebook_connect.crypto import EncryptedTextField


class FacebookAccount(models.Model):
    """The link between a Chirp user and a Facebook account (app-scoped user id).

    The row outlives a revoked token (deauthorize, expiry): `disconnected_at` is set and the
    token cleared, so the next Facebook login still finds the same user by id.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="facebook_account"
    )
    # App-scoped user id: digits, unique per app. Matching uses this and nothing else.
    facebook_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True, default="")
    access_token = EncryptedTextField(blank=True, default="")
    token_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.JSONField(default=list, blank=True)
    # The /me answer as Facebook gave it (id, name, email, picture), for support and sync.
    profile = models.JSONField(default=dict, blank=True)
    # The storage name of the avatar copied from Facebook, so deletion can tell it from an
    # avatar the user uploaded.
    avatar_name = models.CharField(max_length=255, blank=True, default="")
    connected_at = models.DateTimeField(default=timezone.now)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The token refresh scan: connected accounts by expiry.
            models.Index(
                fields=["token_expires_at"],
                condition=Q(disconnected_at__isnull=True),
                name="fb_account_expiring",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} <-> facebook {self.facebook_id}"

    @property
    def is_connected(self) -> bool:
        return self.disconnected_at is None and bool(self.access_token)


class FacebookFriend(models.Model):
    """A Facebook friend of the account who also uses Chirp (Graph only lists those)."""

    account = models.ForeignKey(FacebookAccount, on_delete=models.CASCADE, related_name="friends")
    facebook_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True, default="")
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "facebook_id"], name="fb_friend_uniq"),
        ]
        indexes = [
            # "Who lists this Facebook id as a friend" (suggestions, data deletion).
            models.Index(fields=["facebook_id"], name="fb_friend_facebook_id"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} friend {self.facebook_id}"


class FacebookLike(models.Model):
    """A Page the account likes."""

    account = models.ForeignKey(FacebookAccount, on_delete=models.CASCADE, related_name="likes")
    page_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True, default="")
    category = models.CharField(max_length=100, blank=True, default="")
    liked_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "page_id"], name="fb_like_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} likes {self.page_id}"


class FacebookShare(models.Model):
    """Outbox row: one tweet to publish on one Facebook Page, written in the request's
    transaction and worked by a Celery task with retries (docs/reliability.md trap 5).

    The row holds the whole retry discipline: `attempts` against FACEBOOK_SHARE_MAX_ATTEMPTS,
    `lease_until` for the attempt under way, `next_attempt_at` for the retry scheduled. The
    task's countdown and beat's reconciler both follow it (facebook_connect.services.shares).
    """

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    STATUSES = [(PENDING, "pending"), (DONE, "done"), (FAILED, "failed")]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="facebook_shares"
    )
    tweet = models.ForeignKey("tweets.Tweet", on_delete=models.CASCADE, related_name="+")
    page_id = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # A worker owns the row until then; another delivery of the task leaves it alone.
    lease_until = models.DateTimeField(null=True, blank=True)
    # When the retry of a failed attempt is due (the task's countdown ends then); the
    # reconciler re-enqueues the row only once that retry is overdue. None: due on creation.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True, default="")
    facebook_post_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["updated_at"], condition=Q(status="pending"), name="fb_share_pending"
            ),
            models.Index(fields=["user", "-id"], name="fb_share_user"),
        ]

    def __str__(self) -> str:
        return f"share {self.pk}: tweet {self.tweet_id} -> page {self.page_id} ({self.status})"


class FacebookDataDeletion(models.Model):
    """A data-deletion request from Facebook. `facebook_id` is blanked once the data is
    gone, so the request itself keeps nothing about the person."""

    PENDING = "pending"
    DONE = "done"
    STATUSES = [(PENDING, "pending"), (DONE, "done")]

    confirmation_code = models.CharField(max_length=64, unique=True)
    facebook_id = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"data deletion {self.confirmation_code} ({self.status})"
