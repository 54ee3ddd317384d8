"""Notifications: stored in the transaction of the action that causes them, pushed after
it commits.

Storing in the same transaction gives exactly-once (docs/reliability.md I2, I4): a committed
like always has its notification, a rolled-back one never does, and nothing is lost
between a commit and a later write. The push is what waits for the commit.
"""

from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.models import User
from core.realtime import send_to_user_on_commit
from notifications.events import notification_event
from notifications.models import Notification, NotificationOptOut, Verb
from notifications.selectors import get_notification_settings, is_silenced

# Verbs whose repeats (like, unlike, like) must not notify twice.
DEDUPED = {
    Verb.FOLLOWED,
    Verb.LIKED_TWEET,
    Verb.LIKED_COMMENT,
    Verb.RETWEETED,
    Verb.MENTIONED,
    Verb.FOLLOW_REQUESTED,
    Verb.FOLLOW_ACCEPTED,
}


def _dedupe_key(verb: str, actor_id: int, tweet_id: int | None, comment_id: int | None):
    if verb not in DEDUPED:
        return None
    return f"{verb}:{actor_id}:{tweet_id or ''}:{comment_id or ''}"


def notify(
    *,
    recipient_id: int,
    actor: User,
    verb: str,
    tweet_id: int | None = None,
    comment_id: int | None = None,
) -> Notification | None:
    """Record that `actor` did `verb` to `recipient_id` and push it after commit.

    Nothing for one's own actions, nothing twice for a repeated toggle, nothing between
    users who block each other, nothing from a user the recipient mutes (docs/safety.md),
    nothing of a verb the recipient turned off: checked here, when the notification would
    be created, so no list or socket filters later. Call inside the action's transaction.
    """
    if recipient_id == actor.pk:
        return None
    if is_silenced(recipient_id=recipient_id, actor_id=actor.pk, verb=verb):
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient_id=recipient_id,
                actor=actor,
                verb=verb,
                tweet_id=tweet_id,
                comment_id=comment_id,
                dedupe_key=_dedupe_key(verb, actor.pk, tweet_id, comment_id),
            )
    except IntegrityError:
        return None  # already notified of this very thing
    send_to_user_on_commit(recipient_id, lambda: notification_event(notification.pk, recipient_id))
    return notification


def notify_report_resolved(*, recipient_id: int, report_id: int) -> Notification | None:
    """Tell a reporter their report was resolved (`report_resolved`, from Chirp: no actor),
    unless they turned the verb off; pushed after commit. Call inside the decision's
    transaction."""
    turned_off = NotificationOptOut.objects.filter(user_id=recipient_id, verb=Verb.REPORT_RESOLVED)
    if turned_off.exists():
        return None
    notification = Notification.objects.create(
        recipient_id=recipient_id, actor=None, verb=Verb.REPORT_RESOLVED, report_id=report_id
    )
    send_to_user_on_commit(recipient_id, lambda: notification_event(notification.pk, recipient_id))
    return notification


def forget_between(*, user_id: int, other_id: int) -> int:
    """On a block: delete the notifications each of the two users had from the other.
    Call inside the block's transaction. Returns how many."""
    deleted, _ = Notification.objects.filter(
        Q(recipient_id=user_id, actor_id=other_id) | Q(recipient_id=other_id, actor_id=user_id)
    ).delete()
    return deleted


@transaction.atomic
def update_notification_settings(*, user: User, changes: dict[str, bool]) -> dict[str, bool]:
    """Turn verbs on (delete the opt-out) or off (insert it; a repeat is a no-op). Returns
    every verb's setting."""
    off = [verb for verb, on in changes.items() if not on]
    on = [verb for verb, is_on in changes.items() if is_on]
    NotificationOptOut.objects.filter(user=user, verb__in=on).delete()
    NotificationOptOut.objects.bulk_create(
        [NotificationOptOut(user=user, verb=verb) for verb in off], ignore_conflicts=True
    )
    return get_notification_settings(user=user)


@transaction.atomic
def set_unread(*, notification: Notification, unread: bool) -> Notification:
    if notification.unread != unread:
        notification.unread = unread
        notification.save(update_fields=["unread"])
    return notification


@transaction.atomic
def mark_all_read(*, recipient: User) -> int:
    return Notification.objects.filter(recipient=recipient, unread=True).update(unread=False)


@transaction.atomic
def dismiss_notification(*, notification: Notification) -> None:
    """Delete one of the recipient's notifications (Mastodon's dismiss)."""
    notification.delete()


@transaction.atomic
def clear_notifications(*, recipient: User) -> int:
    """Delete all of the recipient's notifications. Returns how many."""
    deleted, _ = Notification.objects.filter(recipient=recipient).delete()
    return deleted


@transaction.atomic
def forget_notifications_of(*, user_id: int, limit: int) -> int:
    """Delete up to `limit` notifications a deleted account received or caused, and (once
    none is left) its notification settings. Returns how many: 0 means none are left."""
    ids = list(
        Notification.objects.filter(Q(recipient_id=user_id) | Q(actor_id=user_id)).values_list(
            "pk", flat=True
        )[:limit]
    )
    Notification.objects.filter(pk__in=ids).delete()
    if not ids:
        NotificationOptOut.objects.filter(user_id=user_id).delete()
    return len(ids)
