"""Copying profile, friends, likes and the avatar from Facebook (a Celery task after every
login and connect, and on request).
"""

import io
import logging

from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from core.exceptions import ApplicationError
from core.tasks import enqueue_on_commit
from facebook_connect import avatar, graph
from facebook_connect.exceptions import (
    AvatarRefused,
    FacebookNotConnected,
    FacebookPermissionMissing,
    FacebookTokenInvalid,
)
from facebook_connect.models import FacebookAccount, FacebookFriend, FacebookLike
from facebook_connect.services.tokens import mark_disconnected
from friendships import suggestions

logger = logging.getLogger(__name__)


def schedule_sync(account: FacebookAccount) -> None:
    """Enqueue the account's sync once the current transaction commits."""
    from facebook_connect import tasks

    enqueue_on_commit(tasks.sync_facebook_account, account.pk)


def request_sync(*, user: User) -> None:
    """Schedule a sync of profile, avatar, friends and likes. FacebookNotConnected if the
    user has no connected account."""
    account = FacebookAccount.objects.filter(user_id=user.pk).first()
    if account is None or not account.is_connected:
        raise FacebookNotConnected()
    schedule_sync(account)


def _optional(read, token: str):
    """A read that needs a permission the user may have declined: None without it."""
    try:
        return read(token)
    except FacebookPermissionMissing:
        return None


def sync_account(*, account_id: int) -> bool:
    """Refresh profile, friends, likes and (when the user has none) the avatar.

    Idempotent. Returns False when there was nothing to sync (gone or disconnected). A
    revoked token marks the account disconnected. Raises FacebookUnavailable (retryable).
    """
    account = FacebookAccount.objects.filter(pk=account_id).first()
    if account is None or not account.is_connected:
        return False
    client = graph.client()
    token = account.access_token
    try:
        profile = client.me(token)
        if profile.facebook_id != account.facebook_id:
            raise FacebookTokenInvalid("The stored token belongs to another Facebook user.")
        friends = _optional(client.friends, token)
        likes = _optional(client.likes, token)
    except FacebookTokenInvalid:
        mark_disconnected(account_id=account.pk)
        return False
    _save_sync(account.pk, profile, friends, likes)
    if friends is not None:
        # Facebook friends feed who-to-follow; the cached list predates them.
        suggestions.refresh_suggestions(user=User(pk=account.user_id))
    if profile.picture_url:
        sync_avatar(account_id=account.pk, url=profile.picture_url)
    return True


@transaction.atomic
def _save_sync(account_id: int, profile, friends, likes) -> None:
    account = FacebookAccount.objects.select_for_update().filter(pk=account_id).first()
    if account is None:
        return  # deleted while we were talking to Facebook
    now = timezone.now()
    account.name, account.profile, account.last_synced_at = profile.name, profile.raw, now
    account.save(update_fields=["name", "profile", "last_synced_at"])
    user = User.objects.get(pk=account.user_id)
    if not user.display_name and profile.name:
        account_services.update_profile(user=user, data={"display_name": profile.name[:50]})
    if friends is not None:
        by_id = {
            f["facebook_id"]: f["name"] for f in friends if f["facebook_id"] != account.facebook_id
        }
        FacebookFriend.objects.filter(account=account).exclude(facebook_id__in=list(by_id)).delete()
        FacebookFriend.objects.bulk_create(
            [
                FacebookFriend(account=account, facebook_id=fid, name=name, synced_at=now)
                for fid, name in by_id.items()
            ],
            update_conflicts=True,
            unique_fields=["account", "facebook_id"],
            update_fields=["name", "synced_at"],
        )
    if likes is not None:
        by_page = {like["page_id"]: like for like in likes}
        FacebookLike.objects.filter(account=account).exclude(page_id__in=list(by_page)).delete()
        FacebookLike.objects.bulk_create(
            [
                FacebookLike(
                    account=account,
                    page_id=page_id,
                    name=like["name"],
                    category=like["category"],
                    liked_at=like["liked_at"],
                    synced_at=now,
                )
                for page_id, like in by_page.items()
            ],
            update_conflicts=True,
            unique_fields=["account", "page_id"],
            update_fields=["name", "category", "liked_at", "synced_at"],
        )


def sync_avatar(*, account_id: int, url: str) -> bool:
    """Copy the Facebook profile picture to a user who has no avatar, through the fence
    (facebook_connect.avatar) and the upload validation (core.images.process_image, via
    accounts.services.update_profile). A refused or broken picture is logged and skipped:
    an avatar is not worth failing a sync for."""
    account = FacebookAccount.objects.select_related("user").filter(pk=account_id).first()
    if account is None or account.user.avatar:
        return False
    try:
        content = avatar.fetch_avatar(url)
    except AvatarRefused as exc:
        logger.warning("Facebook avatar of account %s refused: %s", account_id, exc)
        return False
    except OSError as exc:
        logger.warning("Facebook avatar of account %s not fetched: %s", account_id, exc)
        return False
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=account.user_id)
        if user.avatar:
            return False  # the user uploaded one meanwhile: theirs wins
        try:
            user = account_services.update_profile(user=user, data={"avatar": io.BytesIO(content)})
        except ApplicationError as exc:  # InvalidImage, ImageTooLarge
            logger.warning("Facebook avatar of account %s rejected: %s", account_id, exc.detail)
            return False
        FacebookAccount.objects.filter(pk=account_id).update(avatar_name=user.avatar.name)
    return True
