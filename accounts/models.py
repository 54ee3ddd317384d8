import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Lower

# Also the `{username}` of every /users/{username}/... URL (the viewsets' lookup_value_regex).
USERNAME_PATTERN = "[A-Za-z0-9_]{1,30}"
USERNAME_RE = rf"^{USERNAME_PATTERN}$"
username_validator = RegexValidator(
    USERNAME_RE,
    "Usernames are 1 to 30 letters, digits or underscores.",
    code="invalid_username",
)


def avatar_upload_to(instance: "User", filename: str) -> str:
    # A fresh name per upload: caches and CDNs never serve a stale avatar, nothing is guessable.
    extension = filename.rsplit(".", 1)[-1]
    return f"avatars/{instance.pk}/{uuid.uuid4().hex}.{extension}"


class ChirpUserManager(UserManager):
    def get_by_natural_key(self, username: str) -> "User":
        # Usernames are unique without regard to case, so lookups ignore it too.
        return self.get(username__iexact=username)

    @transaction.atomic
    def _create_user(self, username, email, password, **extra_fields):
        email = self.normalize_email(email or "").lower()
        return super()._create_user(username, email, password, **extra_fields)


class User(AbstractUser):
    """An account and its public profile (one row: profiles are read with every tweet)."""

    username = models.CharField(
        max_length=30,
        unique=True,
        validators=[username_validator],
        help_text="1-30 letters, digits or underscores; unique without regard to case.",
        error_messages={"unique": "That username is taken."},
    )
    email = models.EmailField(blank=True, default="")
    email_verified = models.BooleanField(default=False)
    first_name = None
    last_name = None

    display_name = models.CharField(max_length=50, blank=True, default="")
    bio = models.CharField(max_length=160, blank=True, default="")
    location = models.CharField(max_length=30, blank=True, default="")
    website = models.URLField(max_length=200, blank=True, default="")
    avatar = models.ImageField(upload_to=avatar_upload_to, blank=True, default="")
    # A protected account's tweets are shown only to its accepted followers (docs/safety.md).
    is_protected = models.BooleanField(default=False)
    # Set by a moderator (moderation.services.suspend_user), with is_active off: the account
    # cannot log in (403 `account_suspended`) and its content leaves every list.
    suspended_at = models.DateTimeField(null=True, blank=True)

    # Denormalised counters, moved with F() by the services that change what they count.
    followers_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    tweets_count = models.PositiveIntegerField(default=0)

    objects = ChirpUserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_uniq"),
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="accounts_user_email_ci_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def created_at(self):
        return self.date_joined


class RefreshTokenFamily(models.Model):
    """The refresh tokens descended by rotation from one login (their `fam` claim).

    Presenting a refresh token that was already rotated or revoked means the token leaked:
    the thief or its owner used it first, and we cannot tell which. So the whole family is
    revoked, the token issued in its place and any after it included, and the owner logs
    in again (OAuth 2.0 Security Best Current Practice, refresh token rotation). Rotations
    lock this row, so a rotation racing a revocation either finishes first and is revoked
    with the rest, or finds the family revoked.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "refresh token families"

    def __str__(self) -> str:
        return f"{self.user_id}:{self.pk}"
