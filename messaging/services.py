"""Direct messages: one conversation per pair, groups, messages, read markers. A new
message is stored with its notifications in one transaction and pushed after commit."""

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from accounts.selectors import get_active_user
from core.db import set_hidden
from core.exceptions import NotFound
from core.realtime import send_now, send_to_users_on_commit
from messaging import selectors
from messaging.events import message_event, read_event, typing_event
from messaging.exceptions import CannotMessageSelf, GroupFull, NotAGroup
from messaging.models import GROUP_MAX_PARTICIPANTS, Conversation, ConversationMember, Message
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
def create_group(*, creator: User, usernames: list[str], title: str = "") -> Conversation:
    """A new group conversation of the creator and these users (each named once).
    Raises CannotMessageSelf when the creator names themselves, NotFound for a name no
    active user has, Blocked when the creator and any of them block each other."""
    wanted = {name.lower() for name in usernames}
    if creator.username.lower() in wanted:
        raise CannotMessageSelf("A group is you and others: leave your own name out.")
    others = list(
        User.objects.annotate(name=Lower("username"))
        .filter(name__in=wanted, is_active=True)
        .order_by("id")
    )
    if len(others) != len(wanted):
        found = {user.username.lower() for user in others}
        missing = sorted(wanted - found)
        raise NotFound(f"No user with the username {missing[0]!r}.")
    ensure_not_blocked(actor=creator, other_ids=[user.pk for user in others])
    conversation = Conversation.objects.create(is_group=True, title=title)
    ConversationMember.objects.bulk_create(
        [ConversationMember(conversation=conversation, user=user) for user in [creator, *others]]
    )
    return conversation


@transaction.atomic
def add_participant(*, actor: User, conversation: Conversation, username: str) -> bool:
    """Add `username` to a group the actor takes part in; returns whether they were added
    (False: already a participant). They read from now on: what was sent before is read.
    Raises NotAGroup, NotFound, Blocked (the actor and they block each other), GroupFull."""
    if not conversation.is_group:
        raise NotAGroup()
    user = get_active_user(username=username)
    ensure_not_blocked(actor=actor, other_ids=[user.pk])
    # The row lock serialises additions to one group, so two at once cannot pass 50.
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    members = ConversationMember.objects.filter(conversation=locked)
    if members.filter(user=user).exists():
        return False
    if members.count() >= GROUP_MAX_PARTICIPANTS:
        raise GroupFull()
    ConversationMember.objects.create(
        conversation=locked, user=user, last_read_message_id=locked.last_message_id or 0
    )
    return True


@transaction.atomic
def leave_conversation(*, user: User, conversation: Conversation) -> None:
    """The user leaves a group: it is gone from their list and, like everything sent to
    it from then on, answers 404 to them. Raises NotAGroup for a one-to-one."""
    if not conversation.is_group:
        raise NotAGroup("A one-to-one conversation cannot be left.")
    ConversationMember.objects.filter(conversation=conversation, user=user).delete()


@transaction.atomic
def send_message(
    *, sender: User, conversation: Conversation, text: str, client_id: str = ""
) -> tuple[Message, bool]:
    """Store a message, notify the other participants, push it to every participant's
    sockets after commit. Returns (message, created).

    With `client_id` (the socket's `message.send`), a repeat from the same sender stores
    nothing and returns the first message (created False), also when two arrive at once:
    the unique (sender, client_id) key decides. Raises Blocked in a one-to-one whose
    participants block each other (in a group, blocks only silence notifications).
    """
    if client_id:
        existing = selectors.get_message_by_client_id(sender=sender, client_id=client_id)
        if existing is not None:
            return existing, False
    participants = selectors.participant_ids(conversation=conversation)
    if not conversation.is_group:
        ensure_not_blocked(actor=sender, other_ids=participants)
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation, sender=sender, text=text, client_id=client_id
            )
    except IntegrityError:
        if not client_id:
            raise
        # The same client_id, sent twice at once (two sockets): the other one stored it.
        return selectors.get_message_by_client_id(sender=sender, client_id=client_id), False
    # Only forwards: when two messages are sent at once, the one with the smaller id may
    # update last; without the guard it would put an older message back as the last one.
    # (The row lock makes the later UPDATE re-check the condition against the committed row.)
    Conversation.objects.filter(
        Q(last_message__isnull=True) | Q(last_message_id__lt=message.pk), pk=conversation.pk
    ).update(last_message=message)
    ConversationMember.objects.filter(
        conversation=conversation, user=sender, last_read_message_id__lt=message.pk
    ).update(last_read_message_id=message.pk)
    for recipient_id in participants:
        if recipient_id != sender.pk:
            notification_services.notify(recipient_id=recipient_id, actor=sender, verb=Verb.MESSAGE)
    send_to_users_on_commit(participants, lambda: message_event(message))
    return message, True


@transaction.atomic
def hide_message(*, message_id: int) -> Message:
    """A moderator's decision: the message leaves its conversation for every participant.
    Raises NotFound."""
    return set_hidden(_lock_message(message_id), True)


@transaction.atomic
def unhide_message(*, message_id: int) -> Message:
    """A moderator reverses a hide: the message is back in its conversation. Raises
    NotFound."""
    return set_hidden(_lock_message(message_id), False)


def _lock_message(message_id: int) -> Message:
    message = Message.objects.select_for_update().filter(pk=message_id).first()
    if message is None:
        raise NotFound("No message with that id.")
    return message


@transaction.atomic
def mark_conversation_read(*, user: User, conversation: Conversation) -> None:
    """Everything in the conversation so far is read by the user. When that moved their
    marker, the other participants' sockets get a `read` event after commit."""
    latest = Message.objects.filter(conversation=conversation).aggregate(m=Max("id"))["m"] or 0
    moved = ConversationMember.objects.filter(
        conversation=conversation, user=user, last_read_message_id__lt=latest
    ).update(last_read_message_id=latest)
    if not moved:
        return
    others = [pk for pk in selectors.participant_ids(conversation=conversation) if pk != user.pk]
    event = read_event(
        conversation_id=conversation.pk, user=user, at=timezone.now(), last_read_message_id=latest
    )
    send_to_users_on_commit(others, event)


def relay_typing(*, user: User, conversation_id: int) -> None:
    """Tell the other participants' sockets that the user is typing, now. Nothing is
    stored. Raises NotFound for a conversation the user does not take part in, Blocked in
    a one-to-one whose participants block each other (as a message would be)."""
    participants, is_group = selectors.access_participant_ids(
        user=user, conversation_id=conversation_id
    )
    others = [pk for pk in participants if pk != user.pk]
    if not is_group:
        ensure_not_blocked(actor=user, other_ids=others)
    send_now(others, typing_event(conversation_id=conversation_id, user=user))


@transaction.atomic
def forget_messages_of(*, user_id: int, limit: int) -> int:
    """Delete up to `limit` messages a deleted account sent; each conversation's last
    message becomes the latest one left. Its membership stays: the conversation still shows
    the account, as the deleted account it now is. Returns how many: 0 means none are left."""
    rows = list(
        Message.objects.filter(sender_id=user_id)
        .order_by("pk")
        .values_list("pk", "conversation_id")[:limit]
    )
    if not rows:
        return 0
    conversation_ids = sorted({conversation_id for _, conversation_id in rows})
    # Locked as send_message's update of last_message does, so neither undoes the other.
    list(Conversation.objects.select_for_update().filter(pk__in=conversation_ids).order_by("pk"))
    Message.objects.filter(pk__in=[pk for pk, _ in rows], sender_id=user_id).delete()
    latest = dict(
        Message.objects.filter(conversation_id__in=conversation_ids)
        .values("conversation_id")
        .annotate(last=Max("id"))
        .values_list("conversation_id", "last")
    )
    for conversation_id in conversation_ids:
        Conversation.objects.filter(pk=conversation_id).update(
            last_message_id=latest.get(conversation_id)
        )
    return len(rows)
