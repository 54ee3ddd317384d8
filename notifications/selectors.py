from django.db.models import QuerySet

from accounts.models import User
from core.exceptions import NotFound
from notifications.models import Notification


def list_notifications(*, recipient: User, unread_only: bool = False) -> QuerySet:
    """The recipient's notifications, newest first, with actor, tweet and comment joined."""
    queryset = Notification.objects.filter(recipient=recipient).select_related(
        "actor", "tweet", "comment"
    )
    if unread_only:
        queryset = queryset.filter(unread=True)
    return queryset


def access_notification(*, recipient: User, notification_id: int) -> Notification:
    """One of the recipient's notifications; another user's is NotFound, like a missing one."""
    notification = list_notifications(recipient=recipient).filter(pk=notification_id).first()
    if notification is None:
        raise NotFound("No notification with that id.")
    return notification


def unread_count(*, recipient: User | int) -> int:
    return Notification.objects.filter(recipient=recipient, unread=True).count()
