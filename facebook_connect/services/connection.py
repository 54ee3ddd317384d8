"""A signed-in user's Facebook connection: connect, disconnect, the admin's delete, and the
account row both login and connect write (linked, token stored, purged).
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from facebook_connect.exceptions import (
    FacebookAccountLinked,
    FacebookAlreadyConnected,
    PasswordRequired,
)
from facebook_connect.models import FacebookAccount, FacebookFriend, FacebookShare
from facebook_connect.services.sync import schedule_sync
from facebook_connect.services.tokens import VerifiedToken, verify_token


def store_token(account: FacebookAccount, verified: VerifiedToken) -> None:
    """Save a verified token and profile on the account (connected again if it was not)."""
    now = timezone.now()
    if account.disconnected_at is not None:
        account.connected_at = now
    account.access_token = verified.access_token
    account.token_expires_at = verified.expires_at
    account.scopes = verified.scopes
    account.profile = verified.profile.raw
    account.name = verified.profile.name
    account.disconnected_at = None
    account.save(
        update_fields=[
            "access_token",
            "token_expires_at",
            "scopes",
            "profile",
            "name",
            "disconnected_at",
            "connected_at",
        ]
    )


def link_account(user: User, verified: VerifiedToken) -> FacebookAccount:
    """Link the user to the verified token's Facebook account. IntegrityError when either is
    linked already (a concurrent request won)."""
    return FacebookAccount.objects.create(
        user=user,
        facebook_id=verified.facebook_id,
        name=verified.profile.name,
        access_token=verified.access_token,
        token_expires_at=verified.expires_at,
        scopes=verified.scopes,
        profile=verified.profile.raw,
    )


def connect_facebook(*, user: User, access_token: str) -> FacebookAccount:
    """Connect the user's account to the token's Facebook account (or refresh the token of
    the one already connected). Schedules a sync after commit.

    Raises FacebookTokenInvalid, FacebookUnavailable, FacebookAccountLinked (409: linked to
    another user), FacebookAlreadyConnected (409: the user has another Facebook account).
    """
    verified = verify_token(access_token)
    try:
        with transaction.atomic():
            return _connect(user, verified)
    except IntegrityError as exc:
        account = FacebookAccount.objects.filter(facebook_id=verified.facebook_id).first()
        if account is not None and account.user_id == user.pk:
            return account  # a concurrent request of the same user connected it
        raise FacebookAccountLinked() from exc


def _connect(user: User, verified: VerifiedToken) -> FacebookAccount:
    linked = (
        FacebookAccount.objects.select_for_update().filter(facebook_id=verified.facebook_id).first()
    )
    if linked is not None and linked.user_id != user.pk:
        raise FacebookAccountLinked()
    mine = FacebookAccount.objects.select_for_update().filter(user_id=user.pk).first()
    if mine is not None and mine.facebook_id != verified.facebook_id:
        raise FacebookAlreadyConnected()
    if mine is not None:
        store_token(mine, verified)
        account = mine
    else:
        account = link_account(user, verified)
    schedule_sync(account)
    return account


def purge_account(account: FacebookAccount, *, remove_avatar: bool) -> None:
    """Delete the account row, its friends and likes (cascade) and the user's shares."""
    if remove_avatar and account.avatar_name:
        user = User.objects.filter(pk=account.user_id).first()
        if user is not None and user.avatar and user.avatar.name == account.avatar_name:
            account_services.delete_avatar(user=user)
    FacebookShare.objects.filter(user_id=account.user_id).delete()
    account.delete()


@transaction.atomic
def delete_account(*, account_id: int) -> None:
    """Admin: remove a Facebook link and everything stored with it (not the avatar)."""
    account = FacebookAccount.objects.select_for_update().filter(pk=account_id).first()
    if account is not None:
        purge_account(account, remove_avatar=False)


@transaction.atomic
def disconnect_facebook(*, user: User) -> None:
    """Forget the user's Facebook account: token, profile, friends, likes and shares.

    Raises PasswordRequired when the user has no usable password (Facebook is their only
    way to log in).
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    account = FacebookAccount.objects.select_for_update().filter(user_id=user.pk).first()
    if account is None:
        return
    if not user.has_usable_password():
        raise PasswordRequired()
    purge_account(account, remove_avatar=False)


@transaction.atomic
def forget_user(*, user_id: int) -> None:
    """The user deleted their account: their Facebook link and everything stored with it
    (token, profile, friends, likes, shares), and the rows naming them in other accounts'
    friend lists, as a data-deletion request from Facebook removes. Idempotent."""
    FacebookShare.objects.filter(user_id=user_id).delete()
    account = FacebookAccount.objects.select_for_update().filter(user_id=user_id).first()
    if account is not None:
        FacebookFriend.objects.filter(facebook_id=account.facebook_id).delete()
        purge_account(account, remove_avatar=False)
