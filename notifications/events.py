"""The `notification` event of the stream socket (docs/realtime.md), rendered by the REST
serializer so a client never sees two shapes of one object. Services schedule it after
commit (core.realtime); it is rendered then, not when the service runs."""

from notifications.selectors import list_notifications, unread_count
from notifications.serializers import NotificationSerializer


def notification_event(notification_id: int, recipient_id: int) -> dict | None:
    """The event, or None when the notification is already gone (its tweet deleted between
    the commit and the push)."""
    notification = list_notifications(recipient=recipient_id).filter(pk=notification_id).first()
    if notification is None:
        return None
    return {
        "type": "notification",
        "notification": NotificationSerializer(notification).data,
        "unread_count": unread_count(recipient=recipient_id),
    }
