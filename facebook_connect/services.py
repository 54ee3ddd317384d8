"""Every write of the Facebook integration: login/register/link, connect and disconnect,
sync, token refresh, shares, deauthorization and data deletion.

Graph calls never run inside a database transaction: a slow Facebook must not hold locks.
Each flow first talks to Facebook, then writes in one short transaction, then schedules its
background work on commit.
"""

import base64
import binascii
import hashlib
import hmac
import io
import json
import logging
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts import services as account_services
from accounts.exceptions import AuthenticationFailed
from accounts.models import User
from core.exceptions import ApplicationError, Conflict
from core.tasks import enqueue_on_commit
from facebook_connect import avatar, graph
from facebook_connect.exceptions import (
    AvatarRefused,
    EmailInUse,
    FacebookAccountLinked,
    FacebookAlreadyConnected,
    FacebookError,
    FacebookNotConfigured,
    FacebookNotConnected,
    FacebookPermissionMissing,
    FacebookRateLimited,
    FacebookTokenInvalid,
    FacebookUnavailable,
    InvalidSignedRequest,
    PasswordRequired,
)
from facebook_connect.models import (
    FacebookAccount,
    FacebookDataDeletion,
    FacebookFriend,
    FacebookLike,
    FacebookShare,
)
from tweets import selectors as tweet_selectors

logger = logging.getLogger(__name__)

# How long a worker owns a share while it talks to Facebook (well above the Graph timeouts).
SHARE_LEASE = timedelta(minutes=5)


# --- verifying a token -------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedToken:
    """A user token that passed debug_token, with its owner's profile and the long-lived
    token it was exchanged for."""

    profile: graph.Profile
    access_token: str
    expires_at: datetime | None
    scopes: list[str]

    @property
    def facebook_id(self) -> str:
        return self.profile.facebook_id


def verify_token(access_token: str) -> VerifiedToken:
    """Check the token with Facebook (debug_token: valid, our app, USER, not expired), read
    /me, and exchange it for a long-lived token. No database access.

    Raises FacebookTokenInvalid, FacebookUnavailable (503), FacebookNotConfigured (503).
    """
    client = graph.client()
    info = client.debug_token(access_token)
    profile = client.me(access_token)
    if profile.facebook_id != info.facebook_id:
        raise FacebookTokenInvalid("The access token does not belong to this Facebook user.")
    issued = client.exchange_token(access_token)
    return VerifiedToken(
        profile=profile,
        access_token=issued.access_token,
        expires_at=issued.expires_at,
        scopes=info.scopes,
    )


def exchange_code(*, code: str, redirect_to: str) -> str:
    """The user token for the login dialog's `code`. FacebookTokenInvalid for a bad,
    used or expired code (Graph answers those with code 100), FacebookUnavailable."""
    try:
        return graph.client().exchange_code(code, redirect_uri=redirect_to).access_token
    except FacebookError as exc:
        if type(exc) is FacebookError:
            raise FacebookTokenInvalid("The Facebook login code is invalid or expired.") from exc
        raise


# --- login, register, link ---------------------------------------------------------------


def _store_token(account: FacebookAccount, verified: VerifiedToken) -> None:
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


def _create_account(user: User, verified: VerifiedToken) -> FacebookAccount:
    return FacebookAccount.objects.create(
        user=user,
        facebook_id=verified.facebook_id,
        name=verified.profile.name,
        access_token=verified.access_token,
        token_expires_at=verified.expires_at,
        scopes=verified.scopes,
        profile=verified.profile.raw,
    )


def _schedule_sync(account: FacebookAccount) -> None:
    from facebook_connect import tasks

    enqueue_on_commit(tasks.sync_facebook_account, account.pk)


@transaction.atomic
def _match_or_register(verified: VerifiedToken) -> tuple[User, bool]:
    account = (
        FacebookAccount.objects.select_for_update()
        .select_related("user")
        .filter(facebook_id=verified.facebook_id)
        .first()
    )
    if account is not None:
        user = account.user
        if not user.is_active:
            raise AuthenticationFailed("This account is disabled.")
        _store_token(account, verified)
        created = False
    else:
        email = verified.profile.email
        owner = User.objects.filter(email__iexact=email).first() if email else None
        if owner is not None:
            # Linking by email is only safe when this account proved the address to us;
            # otherwise whoever registered it first could take over the Facebook login, or
            # the Facebook user an account someone else is about to verify.
            if not owner.email_verified or not owner.is_active:
                raise EmailInUse()
            if FacebookAccount.objects.filter(user=owner).exists():
                raise EmailInUse(
                    "The account with this Facebook account's email is connected to another "
                    "Facebook account."
                )
            user, created = owner, False
        else:
            user = account_services.create_user_from_profile(
                name=verified.profile.name, email=email
            )
            created = True
        account = _create_account(user, verified)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    user.facebook_account = account  # /me's facebook_connected without a query
    _schedule_sync(account)
    return user, created


def login_with_facebook(*, access_token: str) -> tuple[User, bool]:
    """The user for a Facebook user token, and whether it was just registered.

    Matches by Facebook id only; links to the account with the same email only when that
    account verified it (EmailInUse otherwise); else registers a user with a free username
    derived from the name. Schedules a sync after commit. Two concurrent logins with the
    same new token make one user: the unique Facebook id (and username) decide, and the
    loser reads what the winner wrote.

    Raises FacebookTokenInvalid (400), EmailInUse (409), FacebookUnavailable (503),
    AuthenticationFailed (401) for a disabled account.
    """
    verified = verify_token(access_token)
    for _ in range(3):
        try:
            return _match_or_register(verified)
        except IntegrityError:
            logger.info("concurrent Facebook login for %s; reading again", verified.facebook_id)
    raise Conflict("Another login for this Facebook account is in progress. Try again.")


# --- connect and disconnect for a signed-in user -----------------------------------------


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
        _store_token(mine, verified)
        account = mine
    else:
        account = _create_account(user, verified)
    _schedule_sync(account)
    return account


def _purge_account(account: FacebookAccount, *, remove_avatar: bool) -> None:
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
        _purge_account(account, remove_avatar=False)


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
    _purge_account(account, remove_avatar=False)


# --- sync ----------------------------------------------------------------------------------


def request_sync(*, user: User) -> None:
    """Schedule a sync of profile, avatar, friends and likes. FacebookNotConnected if the
    user has no connected account."""
    account = FacebookAccount.objects.filter(user_id=user.pk).first()
    if account is None or not account.is_connected:
        raise FacebookNotConnected()
    _schedule_sync(account)


def mark_disconnected(*, account_id: int) -> None:
    """The token was revoked or expired: forget it; the link (Facebook id) stays, so the
    next Facebook login finds the same user."""
    FacebookAccount.objects.filter(pk=account_id, disconnected_at__isnull=True).update(
        access_token="", token_expires_at=None, disconnected_at=timezone.now()
    )


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
        from friendships import suggestions

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


# --- token refresh -------------------------------------------------------------------------


def refresh_token(*, account_id: int) -> bool:
    """Exchange the stored token for a fresh long-lived one. An expired or revoked token
    marks the account disconnected. Raises FacebookUnavailable (retryable)."""
    account = FacebookAccount.objects.filter(pk=account_id).first()
    if account is None or not account.is_connected:
        return False
    if account.token_expires_at is not None and account.token_expires_at <= timezone.now():
        mark_disconnected(account_id=account.pk)
        return False
    try:
        issued = graph.client().exchange_token(account.access_token)
    except FacebookTokenInvalid:
        mark_disconnected(account_id=account.pk)
        return False
    FacebookAccount.objects.filter(pk=account.pk, disconnected_at__isnull=True).update(
        access_token=issued.access_token, token_expires_at=issued.expires_at
    )
    return True


# --- shares --------------------------------------------------------------------------------


@transaction.atomic
def create_share(*, user: User, tweet_id: int, page_id: str) -> FacebookShare:
    """Record a share (outbox row) and schedule its publication after commit.

    Raises FacebookNotConnected (400), NotFound for a missing tweet.
    """
    account = FacebookAccount.objects.filter(user_id=user.pk).first()
    if account is None or not account.is_connected:
        raise FacebookNotConnected()
    tweet = tweet_selectors.get_tweet(tweet_id=tweet_id)
    share = FacebookShare.objects.create(user=user, tweet=tweet, page_id=page_id)
    from facebook_connect import tasks

    enqueue_on_commit(tasks.publish_share, share.pk)
    return share


def _finish_share(share_id: int, status: str, *, error: str = "", post_id: str = "") -> None:
    now = timezone.now()
    FacebookShare.objects.filter(pk=share_id, status=FacebookShare.PENDING).update(
        status=status,
        error=error[:200],
        facebook_post_id=post_id,
        lease_until=None,
        updated_at=now,
        completed_at=now,
    )


def _share_message(share: FacebookShare) -> tuple[str, str]:
    tweet = share.tweet.retweet_of if share.tweet.retweet_of_id else share.tweet
    link = f"{settings.FRONTEND_URL.rstrip('/')}/tweets/{tweet.pk}/"
    return tweet.text, link


def publish_share(*, share_id: int) -> float | None:
    """One attempt to publish a pending share. Returns the delay before the next attempt
    when it should be retried, None when the share is settled (done, failed, gone) or
    another worker holds it.

    Facebook down or rate limiting: retried until FACEBOOK_SHARE_MAX_ATTEMPTS attempts,
    then `failed`. A revoked token, a Page the user does not manage, a missing permission:
    `failed` at once.
    """
    now = timezone.now()
    claimed = (
        FacebookShare.objects.filter(pk=share_id, status=FacebookShare.PENDING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + SHARE_LEASE, attempts=F("attempts") + 1, updated_at=now)
    )
    if not claimed:
        return None
    share = FacebookShare.objects.select_related("tweet__retweet_of").get(pk=share_id)
    account = FacebookAccount.objects.filter(user_id=share.user_id).first()
    if account is None or not account.is_connected:
        _finish_share(share.pk, FacebookShare.FAILED, error="facebook_not_connected")
        return None
    client = graph.client()
    try:
        pages = client.managed_pages(account.access_token)
        page = next((p for p in pages if p["page_id"] == share.page_id), None)
        if page is None or not page["access_token"]:
            _finish_share(share.pk, FacebookShare.FAILED, error="page_not_managed")
            return None
        if page["tasks"] and "CREATE_CONTENT" not in page["tasks"]:
            _finish_share(share.pk, FacebookShare.FAILED, error="page_permission_missing")
            return None
        message, link = _share_message(share)
        post_id = client.publish_to_page(
            page_id=share.page_id, page_token=page["access_token"], message=message, link=link
        )
    except FacebookTokenInvalid:
        mark_disconnected(account_id=account.pk)
        _finish_share(share.pk, FacebookShare.FAILED, error="facebook_token_invalid")
        return None
    except FacebookUnavailable as exc:
        return _retry_or_fail(share, exc)
    except FacebookError as exc:
        _finish_share(share.pk, FacebookShare.FAILED, error=exc.code)
        return None
    _finish_share(share.pk, FacebookShare.DONE, post_id=post_id)
    return None


def _retry_or_fail(share: FacebookShare, exc: FacebookUnavailable) -> float | None:
    error = "facebook_rate_limited" if isinstance(exc, FacebookRateLimited) else exc.code
    if share.attempts >= settings.FACEBOOK_SHARE_MAX_ATTEMPTS:
        _finish_share(share.pk, FacebookShare.FAILED, error=error)
        return None
    FacebookShare.objects.filter(pk=share.pk, status=FacebookShare.PENDING).update(
        lease_until=None, error=error, updated_at=timezone.now()
    )
    delay = settings.FACEBOOK_SHARE_RETRY_BACKOFF * 2 ** (share.attempts - 1)
    return min(delay, 3600) * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not crypto)


# --- Facebook's callbacks: deauthorize and data deletion ----------------------------------


def _b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def parse_signed_request(signed_request: str) -> dict:
    """The payload of a Facebook `signed_request`, once its HMAC-SHA256 signature (app
    secret, constant-time comparison) and its age (FACEBOOK_SIGNED_REQUEST_MAX_AGE) check.

    Raises InvalidSignedRequest (400).
    """
    secret = settings.FACEBOOK_APP_SECRET
    if not secret:
        raise FacebookNotConfigured()
    try:
        encoded_signature, payload = signed_request.split(".", 1)
        signature = _b64decode(encoded_signature)
    except (ValueError, binascii.Error) as exc:
        raise InvalidSignedRequest() from exc
    expected = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        raise InvalidSignedRequest()
    try:
        data = json.loads(_b64decode(payload))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidSignedRequest() from exc
    if not isinstance(data, dict) or str(data.get("algorithm", "")).upper() != "HMAC-SHA256":
        raise InvalidSignedRequest()
    issued_at = data.get("issued_at")
    if isinstance(issued_at, bool) or not isinstance(issued_at, int):
        raise InvalidSignedRequest()
    age = timezone.now().timestamp() - issued_at
    if age > settings.FACEBOOK_SIGNED_REQUEST_MAX_AGE or age < -60:
        raise InvalidSignedRequest()
    user_id = data.get("user_id")
    if not isinstance(user_id, str) or not graph.ID_RE.match(user_id):
        raise InvalidSignedRequest()
    return data


def deauthorize(*, signed_request: str) -> None:
    """The user removed our app on Facebook: forget the token (the link stays, so a later
    Facebook login finds the same account). Unknown users are fine (nothing to forget)."""
    data = parse_signed_request(signed_request)
    account = FacebookAccount.objects.filter(facebook_id=data["user_id"]).first()
    if account is not None:
        mark_disconnected(account_id=account.pk)


@transaction.atomic
def request_data_deletion(*, signed_request: str) -> FacebookDataDeletion:
    """Record the request and delete the data in the background (after commit)."""
    data = parse_signed_request(signed_request)
    deletion = FacebookDataDeletion.objects.create(
        confirmation_code=secrets.token_hex(10), facebook_id=data["user_id"]
    )
    from facebook_connect import tasks

    enqueue_on_commit(tasks.delete_facebook_data, deletion.pk)
    return deletion


@transaction.atomic
def delete_facebook_data(*, deletion_id: int) -> bool:
    """Delete every stored datum of the Facebook user: the account (token, profile), its
    friends and likes, the user's shares, the avatar copied from Facebook (not one the user
    uploaded), and the rows naming them in other accounts' friend lists. Idempotent."""
    deletion = FacebookDataDeletion.objects.select_for_update().filter(pk=deletion_id).first()
    if deletion is None or deletion.status == FacebookDataDeletion.DONE:
        return False
    facebook_id = deletion.facebook_id
    account = FacebookAccount.objects.select_for_update().filter(facebook_id=facebook_id).first()
    if account is not None:
        _purge_account(account, remove_avatar=True)
    FacebookFriend.objects.filter(facebook_id=facebook_id).delete()
    deletion.status = FacebookDataDeletion.DONE
    deletion.facebook_id = ""
    deletion.completed_at = timezone.now()
    deletion.save(update_fields=["status", "facebook_id", "completed_at"])
    return True
