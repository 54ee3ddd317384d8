from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

MESSAGE_MAX_LENGTH = 1000


class Conversation(models.Model):
    """A one-to-one conversation, created once per pair (user_low.id < user_high.id)."""

    user_low = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    user_high = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_message = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_low", "user_high"], name="messaging_pair_uniq"),
            models.CheckConstraint(
                condition=Q(user_low__lt=F("user_high")), name="messaging_pair_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_low_id} <-> {self.user_high_id}"


class ConversationMember(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_memberships"
    )
    # Messages with a greater id, from the other participant, are unread.
    last_read_message_id = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="messaging_member_uniq"),
        ]
        indexes = [models.Index(fields=["user", "conversation"], name="messaging_member_user")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.conversation_id}"


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["conversation", "-id"], name="messaging_message_conv_id")]

    def __str__(self) -> str:
        return f"{self.sender_id}: {self.text[:40]}"
