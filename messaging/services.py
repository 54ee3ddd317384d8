"""Direct messages: one conversation per pair, messages, read markers. A new message is
stored with its notification in one transaction and pushed after commit."""

from django.db import IntegrityError, transaction
from django.db.models import Max, Q

from accounts.models import User
from accounts.selectors import get_active_user
from core.realtime import send_to_users_on_commit
from messaging.events import message_event
from messaging.exceptions import CannotMessageSelf
from messaging.models import Conversation, ConversationMember, Message
from notifications import services as notification_services
from notifications.models import Verb
from safety.selectors import ensure_not_blocked


def get_or_create_conversation(*, user: User, username: str) -> tuple[Conversation, bool]:
    """The one-to-one conversation between the user and `username`; created if needed.
    Raises CannotMessageSelf, NotFound, or Blocked when either blocks the other."""
    other = get_active_user(username=username)
    if other.pk == user.pk:
        raise CannotMessageSelf()
    ensure_not_blocked(actor=user, other_ids=[other.pk])
    low, high = sorted((user.pk, other.pk))
    existing = Conversation.objects.filter(user_low_id=low, user_high_id=high).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(user_low_id=low, user_high_id=high)
            ConversationMember.objects.bulk_create(
                [
                    ConversationMember(conversation=conversation, user_id=low),
                    ConversationMember(conversation=conversation, user_id=high),
                ]
            )
    except IntegrityError:
        # Both users opened it at the same moment: the other request created it.
        return Conversation.objects.get(user_low_id=low, user_high_id=high), False
    return conversation, True


@transaction.atomic
def send_message(*, sender: User, conversation: Conversation, text: str) -> Message:
    """Store a message, notify the other participant, push it to both participants'
    sockets after commit. Raises Blocked when either participant blocks the other."""
    ensure_not_blocked(
        actor=sender, other_ids=[conversation.user_low_id, conversation.user_high_id]
    )
    message = Message.objects.create(conversation=conversation, sender=sender, text=text)
    # Only forwards: when two messages are sent at once, the one with the smaller id may
    # update last; without the guard it would put an older message back as the last one.
    # (The row lock makes the later UPDATE re-check the condition against the committed row.)
    Conversation.objects.filter(
        Q(last_message__isnull=True) | Q(last_message_id__lt=message.pk), pk=conversation.pk
    ).update(last_message=message)
    ConversationMember.objects.filter(
        conversation=conversation, user=sender, last_read_message_id__lt=message.pk
    ).update(last_read_message_id=message.pk)
    other_id = (
        conversation.user_high_id
        if sender.pk == conversation.user_low_id
        else conversation.user_low_id
    )
    notification_services.notify(recipient_id=other_id, actor=sender, verb=Verb.MESSAGE)
    send_to_users_on_commit([other_id, sender.pk], lambda: message_event(message))
    return message


@transaction.atomic
def mark_conversation_read(*, user: User, conversation: Conversation) -> None:
    latest = Message.objects.filter(conversation=conversation).aggregate(m=Max("id"))["m"] or 0
    ConversationMember.objects.filter(
        conversation=conversation, user=user, last_read_message_id__lt=latest
    ).update(last_read_message_id=latest)
