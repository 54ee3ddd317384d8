from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

MESSAGE_MAX_LENGTH = 1000
TITLE_MAX_LENGTH = 80
CLIENT_ID_MAX_LENGTH = 64
# A group holds its creator and 2-49 others: at most 50 participants.
GROUP_MAX_PARTICIPANTS = 50


class Conversation(models.Model):
    """A one-to-one conversation, created once per pair (user_low.id < user_high.id), or a
    group (is_group, no pair: its participants are its ConversationMember rows)."""

    user_low = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    user_high = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    is_group = models.BooleanField(default=False)
    title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True)
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
            # A pair for a one-to-one, none for a group.
            models.CheckConstraint(
                condition=Q(is_group=False, user_low__isnull=False, user_high__isnull=False)
                | Q(is_group=True, user_low__isnull=True, user_high__isnull=True),
                name="messaging_pair_or_group",
            ),
        ]

    def __str__(self) -> str:
        if self.is_group:
            return f"group {self.pk} {self.title}".rstrip()
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
    # The sender's own id for a message sent over the socket (`message.send`): a repeat
    # stores nothing new, also after a reconnect. Empty for messages sent over REST.
    client_id = models.CharField(max_length=CLIENT_ID_MAX_LENGTH, blank=True)
    # Set by a moderator (moderation.services.hide_content): the message leaves the
    # conversation for every participant (docs/safety.md).
    hidden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["conversation", "-id"], name="messaging_message_conv_id")]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "client_id"],
                condition=~Q(client_id=""),
                name="messaging_message_client_id_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender_id}: {self.text[:40]}"
