"""Reads of Facebook data: connection status, friends on Chirp, shares, deletion status,
and the ids beat's tasks work through (tokens to refresh, outbox rows to reconcile)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from core.exceptions import NotFound
from facebook_connect.models import (
    FacebookAccount,
    FacebookDataDeletion,
    FacebookFriend,
    FacebookLike,
    FacebookShare,
)
from friendships.selectors import annotate_viewer_flags


@dataclass(frozen=True)
class ConnectionStatus:
    connected: bool
    facebook_id: str | None
    name: str | None
    token_expires_at: datetime | None
    last_synced_at: datetime | None
    friends_count: int
    likes_count: int


def get_account(*, user_id: int) -> FacebookAccount | None:
    return FacebookAccount.objects.filter(user_id=user_id).first()


def get_connection_status(*, user: User) -> ConnectionStatus:
    account = get_account(user_id=user.pk)
    if account is None:
        return ConnectionStatus(False, None, None, None, None, 0, 0)
    return ConnectionStatus(
        connected=account.is_connected,
        facebook_id=account.facebook_id,
        name=account.name,
        token_expires_at=account.token_expires_at if account.is_connected else None,
        last_synced_at=account.last_synced_at,
        friends_count=FacebookFriend.objects.filter(account=account).count(),
        likes_count=FacebookLike.objects.filter(account=account).count(),
    )


def connected_flag() -> Exists:
    """An EXISTS expression for "the user has a connected Facebook account", to annotate
    user querysets with (e.g. `.annotate(facebook_connected=connected_flag())`)."""
    return Exists(
        FacebookAccount.objects.filter(user_id=OuterRef("pk"), disconnected_at__isnull=True)
    )


def is_facebook_connected(*, user: User) -> bool:
    """Answered without a query when the user was loaded with the `facebook_connected`
    annotation or with select_related("facebook_account"); one EXISTS query otherwise."""
    annotated = getattr(user, "facebook_connected", None)
    if isinstance(annotated, bool):
        return annotated
    if User.facebook_account.is_cached(user):
        account = getattr(user, "facebook_account", None)  # None cached when there is none
        return account is not None and account.is_connected
    return FacebookAccount.objects.filter(user_id=user.pk, disconnected_at__isnull=True).exists()


def list_facebook_friend_users(*, user_id: int) -> QuerySet:
    """Active Chirp users who are Facebook friends of the user, in either direction: in the
    user's synced friend list, or listing the user in theirs (a friend who joined after the
    user's last sync already counts)."""
    my_facebook_id = FacebookAccount.objects.filter(user_id=user_id).values("facebook_id")
    in_my_list = FacebookFriend.objects.filter(
        account__user_id=user_id, facebook_id=OuterRef("facebook_account__facebook_id")
    )
    lists_me = FacebookFriend.objects.filter(
        account__user_id=OuterRef("pk"), facebook_id__in=my_facebook_id
    )
    return (
        User.objects.filter(is_active=True, facebook_account__isnull=False)
        .filter(Q(Exists(in_my_list)) | Q(Exists(lists_me)))
        .exclude(pk=user_id)
    )


def list_facebook_friends(*, user: User) -> QuerySet:
    """The user's Facebook friends on Chirp, newest account first, with `is_following`
    and `follows_you`."""
    friends = list_facebook_friend_users(user_id=user.pk).order_by("-id")
    return annotate_viewer_flags(friends, viewer=user)


def access_share(*, share_id: int, user: User) -> FacebookShare:
    """The share, if the user made it; NotFound otherwise (others' shares do not exist)."""
    share = FacebookShare.objects.filter(pk=share_id, user_id=user.pk).first()
    if share is None:
        raise NotFound("No share with that id.")
    return share


def get_data_deletion(*, confirmation_code: str) -> FacebookDataDeletion:
    deletion = FacebookDataDeletion.objects.filter(confirmation_code=confirmation_code).first()
    if deletion is None:
        raise NotFound("No deletion request with that confirmation code.")
    return deletion


def list_expiring_account_ids(*, within: timedelta) -> list[int]:
    """Connected accounts whose token expires within `within`, soonest first."""
    return list(
        FacebookAccount.objects.filter(
            disconnected_at__isnull=True, token_expires_at__lte=timezone.now() + within
        )
        .order_by("token_expires_at", "pk")
        .values_list("pk", flat=True)
    )


def list_stalled_share_ids() -> list[int]:
    """Pending shares whose task was lost (a broker outage, a dead worker): no worker holds
    them, and the attempt they were waiting for (the first, or the retry due at
    `next_attempt_at`) is FACEBOOK_RECONCILE_AFTER_SECONDS overdue. A share waiting for its
    scheduled retry is left to it, however long the backoff."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.FACEBOOK_RECONCILE_AFTER_SECONDS)
    return list(
        FacebookShare.objects.filter(status=FacebookShare.PENDING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(
            Q(next_attempt_at__isnull=True, updated_at__lt=stale) | Q(next_attempt_at__lt=stale)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )


def list_stalled_deletion_ids() -> list[int]:
    """Data deletions still pending a while after Facebook asked (a lost task)."""
    stale = timezone.now() - timedelta(seconds=settings.FACEBOOK_RECONCILE_AFTER_SECONDS)
    return list(
        FacebookDataDeletion.objects.filter(
            status=FacebookDataDeletion.PENDING, requested_at__lt=stale
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
