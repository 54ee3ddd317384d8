from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Verb(models.TextChoices):
    FOLLOWED = "followed"
    LIKED_TWEET = "liked_tweet"
    LIKED_COMMENT = "liked_comment"
    COMMENTED = "commented"
    RETWEETED = "retweeted"
    MENTIONED = "mentioned"
    MESSAGE = "message"
    FOLLOW_REQUESTED = "follow_requested"
    FOLLOW_ACCEPTED = "follow_accepted"
    REPLIED = "replied"
    QUOTED = "quoted"
    REPORT_RESOLVED = "report_resolved"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # None for a notification from Chirp itself (`report_resolved`: the moderator who acted
    # is not named to the reporter).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    verb = models.CharField(max_length=20, choices=Verb.choices)
    tweet = models.ForeignKey(
        "tweets.Tweet", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    comment = models.ForeignKey(
        "tweets.Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # `report_resolved`: the report whose outcome it tells.
    report = models.ForeignKey(
        "moderation.Report", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # For toggles (like, follow, retweet) and mentions: "verb:actor:object". A second like
    # after an unlike hits the unique key and creates nothing. Comments and messages are
    # new events every time and have no key.
    dedupe_key = models.CharField(max_length=80, null=True, blank=True)  # noqa: DJ001 (NULL: no key, not unique)
    unread = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], name="notifications_dedupe_uniq"
            ),
        ]
        indexes = [
            # "My notifications, newest first" and "my unread, newest first".
            models.Index(fields=["recipient", "-id"], name="notif_recipient_id_desc"),
            models.Index(
                fields=["recipient", "-id"],
                condition=Q(unread=True),
                name="notif_recipient_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.verb} -> {self.recipient_id}"


class NotificationOptOut(models.Model):
    """A verb the user turned off in /me/notification-settings/: `notify` creates no
    notification of it for them. No row: the verb is on (the default)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    verb = models.CharField(max_length=20, choices=Verb.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "verb"], name="notifications_optout_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} off: {self.verb}"
