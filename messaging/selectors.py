from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from core.exceptions import NotFound
from messaging.models import Conversation, ConversationMember, Message


def list_conversations(*, user: User) -> QuerySet:
    """The user's conversations, most recent activity first (paginate by `activity`), with
    participants, the last message and the user's unread count: two queries per page."""
    my_last_read = ConversationMember.objects.filter(conversation=OuterRef("pk"), user=user).values(
        "last_read_message_id"
    )
    unread = (
        Message.objects.filter(conversation=OuterRef("pk"), id__gt=OuterRef("my_last_read"))
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
    )


def access_conversation(*, user: User, conversation_id: int) -> Conversation:
    """A conversation the user takes part in; any other is NotFound."""
    conversation = list_conversations(user=user).filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFound("No conversation with that id.")
    return conversation


def list_messages(*, conversation: Conversation) -> QuerySet:
    return Message.objects.filter(conversation=conversation).select_related("sender")
