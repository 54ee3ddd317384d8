from datetime import UTC, datetime

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from accounts.models import User
from core.exceptions import NotFound
from messaging.models import Conversation, ConversationMember, Message

# Before the first message: conversations nobody wrote in come after every other, on
# every database (PostgreSQL sorts NULL first in descending order, SQLite last).
NEVER = datetime(1, 1, 1, tzinfo=UTC)


def list_conversations(*, user: User) -> QuerySet:
    """The user's conversations, most recent activity first (the last message's time, then
    the newest conversation), with participants, the last message and the user's unread
    count: two queries per page."""
    my_last_read = ConversationMember.objects.filter(conversation=OuterRef("pk"), user=user).values(
        "last_read_message_id"
    )
    unread = (
        Message.objects.filter(
            shown_messages(), conversation=OuterRef("pk"), id__gt=OuterRef("my_last_read")
        )
        .exclude(sender=user)
        .values("conversation")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        Conversation.objects.filter(members__user=user)
        .select_related("last_message__sender")
        .prefetch_related(
            Prefetch(
                "members", queryset=ConversationMember.objects.select_related("user").order_by("id")
            )
        )
        .annotate(my_last_read=Subquery(my_last_read))
        .annotate(unread_count=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)))
        .annotate(last_message_at=Coalesce("last_message__created_at", Value(NEVER)))
        .order_by("-last_message_at", "-id")
    )


def access_conversation(*, user: User, conversation_id: int) -> Conversation:
    """A conversation the user takes part in; any other is NotFound."""
    conversation = list_conversations(user=user).filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFound("No conversation with that id.")
    return conversation


def participant_ids(*, conversation: Conversation) -> list[int]:
    """Who takes part in the conversation now (members who left are no longer members)."""
    return list(
        ConversationMember.objects.filter(conversation=conversation)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def access_participant_ids(*, user: User, conversation_id: int) -> tuple[list[int], bool]:
    """The participants of a conversation the user takes part in, and whether it is a
    group, in one query (for socket frames, which need no more); NotFound for any other."""
    rows = list(
        ConversationMember.objects.filter(conversation_id=conversation_id)
        .order_by("user_id")
        .values_list("user_id", "conversation__is_group")
    )
    ids = [user_id for user_id, _ in rows]
    if user.pk not in ids:
        raise NotFound("No conversation with that id.")
    return ids, rows[0][1]


def get_message_by_client_id(*, sender: User, client_id: str) -> Message | None:
    """The message the sender already stored under this client id, if any."""
    return (
        Message.objects.select_related("sender").filter(sender=sender, client_id=client_id).first()
    )


def shown_messages() -> Q:
    """Messages no moderator hid, from senders who are not suspended (docs/safety.md)."""
    return Q(hidden_at__isnull=True, sender__is_active=True)


def list_messages(*, conversation: Conversation) -> QuerySet:
    """A conversation's messages, newest first, without hidden ones (shown_messages)."""
    return (
        Message.objects.filter(shown_messages(), conversation=conversation)
        .select_related("sender")
        .order_by("-id")
    )
