from collections.abc import Collection

from django.db.models import Exists, Q, QuerySet

from accounts.models import User
from core.exceptions import NotFound
from notifications.models import Notification, NotificationOptOut, Verb
from safety.selectors import shielded


def shown() -> Q:
    """Notifications whose actor is active (not suspended, not deleted) and whose tweet and
    comment no moderator hid (docs/safety.md): columns of the rows a list joins anyway."""
    return (
        (Q(actor__isnull=True) | Q(actor__is_active=True))
        & (Q(tweet__isnull=True) | Q(tweet__hidden_at__isnull=True))
        & (Q(comment__isnull=True) | Q(comment__hidden_at__isnull=True))
    )


def list_notifications(
    *, recipient: User, unread_only: bool = False, verbs: Collection[str] = ()
) -> QuerySet:
    """The recipient's notifications, newest first, with actor, tweet, comment and report
    joined; without those shown() leaves out; only unread ones with `unread_only`, only
    these verbs when `verbs` names any. One query a page, filters included."""
    queryset = (
        Notification.objects.filter(shown(), recipient=recipient)
        .select_related("actor", "tweet", "comment", "report")
        .order_by("-id")
    )
    if unread_only:
        queryset = queryset.filter(unread=True)
    if verbs:
        queryset = queryset.filter(verb__in=sorted(verbs))
    return queryset


def access_notification(*, recipient: User, notification_id: int) -> Notification:
    """One of the recipient's notifications; another user's is NotFound, like a missing one."""
    notification = list_notifications(recipient=recipient).filter(pk=notification_id).first()
    if notification is None:
        raise NotFound("No notification with that id.")
    return notification


def unread_count(*, recipient: User | int) -> int:
    return Notification.objects.filter(shown(), recipient=recipient, unread=True).count()


def is_silenced(*, recipient_id: int, actor_id: int, verb: str) -> bool:
    """True when no notification of `verb` from the actor may reach the recipient: a block
    either way, a mute of the actor by the recipient, or the verb turned off in the
    recipient's settings. One query."""
    turned_off = Exists(NotificationOptOut.objects.filter(user_id=recipient_id, verb=verb))
    return (
        User.objects.filter(pk=actor_id)
        .filter(shielded(recipient_id, actor_id) | Q(turned_off))
        .exists()
    )


def get_notification_settings(*, user: User) -> dict[str, bool]:
    """Every verb, true unless the user turned it off."""
    off = set(NotificationOptOut.objects.filter(user=user).values_list("verb", flat=True))
    return {verb.value: verb.value not in off for verb in Verb}
