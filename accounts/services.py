"""Every write to accounts: signup, tokens, email verification, passwords, profile."""

import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts import tasks
from accounts.exceptions import AccountSuspended, AuthenticationFailed, TokenInvalid
from accounts.models import RefreshTokenFamily, User
from accounts.selectors import find_user_by_login
from accounts.tokens import (
    check_password_reset_token,
    read_email_verification_token,
    read_password_reset_uid,
)
from accounts.usernames import free_username
from core.exceptions import Conflict, FieldValidationError
from core.images import process_image
from core.models import IdempotencyKey
from core.realtime import close_user_sockets_on_commit
from core.tasks import enqueue_on_commit

PROFILE_FIELDS = ("display_name", "bio", "location", "website")


# --- validation helpers ------------------------------------------------------------------


def _validate_password(password: str, *, user: User | None, field: str) -> None:
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise FieldValidationError({field: list(exc.messages)}) from exc


# Path segments under /users/ and names that would mislead other users.
RESERVED_USERNAMES = frozenset(
    {"suggestions", "me", "admin", "administrator", "root", "support", "chirp", "api", "staff"}
)


def _ensure_username_free(username: str, *, exclude: User | None = None) -> None:
    if username.lower() in RESERVED_USERNAMES:
        raise FieldValidationError({"username": ["That username is reserved."]})
    taken = User.objects.filter(username__iexact=username)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise FieldValidationError({"username": ["That username is taken."]})


def _ensure_email_free(email: str, *, exclude: User | None = None) -> None:
    taken = User.objects.filter(email__iexact=email)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise FieldValidationError({"email": ["An account with that email already exists."]})


def _save_unique(user: User, **save_kwargs: Any) -> None:
    """Save, turning a lost race on the case-insensitive unique constraints into a 400."""
    try:
        with transaction.atomic():
            user.save(**save_kwargs)
    except IntegrityError as exc:
        message = str(exc).lower()
        field = "email" if "email" in message else "username"
        text = (
            "That username is taken."
            if field == "username"
            else ("An account with that email already exists.")
        )
        raise FieldValidationError({field: [text]}) from exc


# --- signup and tokens -------------------------------------------------------------------


@transaction.atomic
def create_user(*, username: str, email: str, password: str, site_url: str = "") -> User:
    """Create an account and schedule its verification email (after commit).

    `site_url` (here and in the other services that email) is the base of the email's
    links when FRONTEND_URL is unset: this server as the request reached it.

    Raises FieldValidationError for a taken username or email, or a weak password.
    """
    email = email.strip().lower()
    _ensure_username_free(username)
    _ensure_email_free(email)
    candidate = User(username=username, email=email)
    _validate_password(password, user=candidate, field="password")
    candidate.set_password(password)
    _save_unique(candidate)
    enqueue_on_commit(tasks.send_verification_email, candidate.pk, site_url)
    return candidate


def create_user_from_profile(*, name: str, email: str, site_url: str = "") -> User:
    """An account for someone another identity provider (Facebook) vouches for: a free
    username derived from the name, the name as display name, no usable password, and the
    provider's email (if any) stored unverified, with our verification email scheduled:
    the address is ours to verify, not the provider's.

    One INSERT, in the caller's transaction (no savepoint of its own): a concurrent
    registration taking the same username or email raises IntegrityError there, and the caller
    reads what the winner wrote.
    """
    user = User(username=free_username(name), email=email, display_name=name[:50])
    user.set_unusable_password()
    user.save()
    resend_verification_email(user=user, site_url=site_url)
    return user


# The claim naming a refresh token's family: every rotation passes it on (RefreshTokenFamily).
FAMILY_CLAIM = "fam"


def issue_tokens(*, user: User, family: RefreshTokenFamily | None = None) -> dict[str, str]:
    """A new refresh/access pair; the refresh token is recorded as outstanding. A login
    starts a family of its own; a rotation passes `family` on."""
    if family is None:
        family = RefreshTokenFamily.objects.create(user=user)
    refresh = RefreshToken.for_user(user)
    refresh[FAMILY_CLAIM] = str(family.pk)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def login(*, request, login: str, password: str) -> User:
    """The user for these credentials. One error for unknown user and wrong password;
    AccountSuspended (403) for the right password of a suspended account, and only then,
    so a suspension is not told to whoever types a username."""
    user = authenticate(request, username=login, password=password)
    if user is None:
        suspended = find_user_by_login(login)
        if suspended and suspended.suspended_at and suspended.check_password(password):
            raise AccountSuspended()
        raise AuthenticationFailed()
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return user


def _load_refresh(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)  # checks signature, expiry, type and the blacklist
    except TokenError as exc:
        _revoke_family_if_reused(raw)
        raise TokenInvalid() from exc


def _revoke_family_if_reused(raw: str) -> None:
    """A genuine, unexpired refresh token that the blacklist refused was rotated or revoked
    before: someone kept a copy. Revoke its family, so the copy's holder and the token's
    owner alike must log in again."""
    try:
        token = UntypedToken(raw)  # signature and expiry, not the blacklist
    except TokenError:
        return  # forged, expired or malformed: it proves nothing
    if token.get(jwt_settings.TOKEN_TYPE_CLAIM) != "refresh":
        return
    if BlacklistedToken.objects.filter(token__jti=token[jwt_settings.JTI_CLAIM]).exists():
        with transaction.atomic():
            family = RefreshTokenFamily.objects.select_for_update().filter(pk=_family_id(token))
            _mark_revoked(family.first())


def _family_id(token) -> str:
    # Tokens issued before families existed carry no claim: their first rotation starts a
    # family named after them (see _lock_live_family), where a reuse of them finds it too.
    legacy = uuid.uuid5(uuid.NAMESPACE_URL, f"chirp:refresh:{token[jwt_settings.JTI_CLAIM]}")
    return token.get(FAMILY_CLAIM) or str(legacy)


def _mark_revoked(family: RefreshTokenFamily | None) -> None:
    if family is not None and family.revoked_at is None:
        family.revoked_at = timezone.now()
        family.save(update_fields=["revoked_at"])


def _lock_live_family(token: RefreshToken, *, user: User) -> RefreshTokenFamily | None:
    """The token's family, locked until the transaction ends; None once it is revoked."""
    family_id = _family_id(token)
    if FAMILY_CLAIM not in token:
        RefreshTokenFamily.objects.get_or_create(pk=family_id, defaults={"user": user})
    family = RefreshTokenFamily.objects.select_for_update().filter(pk=family_id, user=user).first()
    return family if family is not None and family.revoked_at is None else None


def _revoke(token: RefreshToken) -> bool:
    """Blacklist one refresh token. True only for the request whose insert won the race
    (docs/reliability.md trap 2: two concurrent refreshes of one token must not both succeed)."""
    jti = token[jwt_settings.JTI_CLAIM]
    outstanding = OutstandingToken.objects.filter(jti=jti).first()
    if outstanding is None:
        token.outstand()
        outstanding = OutstandingToken.objects.get(jti=jti)
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError:
        return False
    return True


def refresh_tokens(*, refresh: str) -> dict[str, str]:
    """Rotate: the given refresh token is blacklisted, a new pair of its family returned.

    Presenting a token that was already rotated or revoked revokes its family: the tokens
    issued after it stop working too (RefreshTokenFamily). Raises TokenInvalid for a bad,
    expired, reused or revoked token, a revoked family, or an inactive user.
    """
    token = _load_refresh(refresh)
    user = User.objects.filter(pk=token.get(jwt_settings.USER_ID_CLAIM), is_active=True).first()
    if user is None:
        raise TokenInvalid()
    if token.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
        raise TokenInvalid()  # issued before the last password change
    with transaction.atomic():
        family = _lock_live_family(token, user=user)
        if family is not None:
            if _revoke(token):
                return issue_tokens(user=user, family=family)
            # A concurrent rotation of this same token won (docs/reliability.md trap 2): this is
            # a second use of one token, a reuse like any other.
            _mark_revoked(family)
    raise TokenInvalid()


def logout(*, refresh: str) -> None:
    """Revoke this refresh token and close the user's open sockets (access tokens cannot be
    revoked; they expire on their own within minutes)."""
    token = _load_refresh(refresh)
    with transaction.atomic():
        _revoke(token)
        close_user_sockets_on_commit(token.get(jwt_settings.USER_ID_CLAIM))


def revoke_all_tokens(*, user: User) -> int:
    """Blacklist every outstanding refresh token of the user; returns how many."""
    pending = OutstandingToken.objects.filter(user=user).exclude(
        id__in=BlacklistedToken.objects.values("token_id")
    )
    rows = [BlacklistedToken(token=outstanding) for outstanding in pending]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@transaction.atomic
def deactivate_user(*, user: User) -> None:
    """Lock the account out: no login, every refresh token revoked, sockets closed."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    revoke_all_tokens(user=user)
    close_user_sockets_on_commit(user.pk)


# The name and display name a deleted account keeps (lifecycle): a hyphen, which no
# username may hold (USERNAME_RE), so nobody can register it, and no URL can name it.
DELETED_USERNAME = "deleted-{pk}"
DELETED_DISPLAY_NAME = "Deleted account"


@transaction.atomic
def close_account(*, user: User) -> User:
    """Account deletion, the part done at once: the account can no longer log in (inactive,
    no usable password), every token is revoked and its sockets are closed (as a password
    change does), and its name, email and profile are erased, so the username and email are
    free again and a conversation shows a "Deleted account". The row itself stays, as that
    participant; its content goes in the background (lifecycle.services.purge_account)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    user.is_active = False
    user.set_unusable_password()
    user.username = DELETED_USERNAME.format(pk=user.pk)
    user.display_name = DELETED_DISPLAY_NAME
    user.email, user.email_verified = "", False
    user.bio = user.location = user.website = ""
    user.save()
    revoke_all_tokens(user=user)
    close_user_sockets_on_commit(user.pk)
    return user


@transaction.atomic
def erase_account(*, user_id: int) -> None:
    """The last step of an account's deletion: its avatar file, its token records and its
    stored idempotent answers. Idempotent."""
    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        delete_avatar(user=user)
    OutstandingToken.objects.filter(user_id=user_id).delete()  # blacklist rows cascade
    RefreshTokenFamily.objects.filter(user_id=user_id).delete()
    IdempotencyKey.objects.filter(user_id=user_id).delete()


@transaction.atomic
def suspend_user(*, user: User) -> bool:
    """A moderator's suspension: as deactivate_user (no login, every refresh token revoked,
    access tokens refused as for any inactive user, sockets closed), and login answers 403
    `account_suspended`. False when the account was already suspended or inactive."""
    changed = User.objects.filter(pk=user.pk, is_active=True).update(
        is_active=False, suspended_at=timezone.now()
    )
    revoke_all_tokens(user=user)
    close_user_sockets_on_commit(user.pk)
    return bool(changed)


def reinstate_user(*, user: User) -> bool:
    """A moderator reverses a suspension: the account may log in again (its old tokens stay
    revoked). False when it was not suspended. Raises Conflict for an account deleted since
    (closed accounts stay closed)."""
    if user.username == DELETED_USERNAME.format(pk=user.pk):
        raise Conflict("This account was deleted; it cannot be reinstated.")
    changed = User.objects.filter(pk=user.pk, suspended_at__isnull=False).update(
        is_active=True, suspended_at=None
    )
    return bool(changed)


# --- email verification ------------------------------------------------------------------


@transaction.atomic
def verify_email(*, token: str) -> User:
    """Mark the address the token was issued for as verified.

    Raises FieldValidationError when the token is invalid, expired, or for an address the
    account no longer has.
    """
    found = read_email_verification_token(token)
    user = None
    if found is not None:
        user_id, email = found
        user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
        if user is not None and user.email.lower() != email:
            user = None
    if user is None:
        raise FieldValidationError({"token": ["This verification link is invalid or has expired."]})
    if not user.email_verified:
        user.email_verified = True
        user.save(update_fields=["email_verified"])
    return user


def resend_verification_email(*, user: User, site_url: str = "") -> None:
    if user.email and not user.email_verified:
        enqueue_on_commit(tasks.send_verification_email, user.pk, site_url)


# --- passwords ---------------------------------------------------------------------------


@transaction.atomic
def change_password(*, user: User, old_password: str, new_password: str) -> None:
    """Set a new password and revoke every token issued before (refresh tokens are
    blacklisted; access tokens fail the password-hash claim check)."""
    if not user.check_password(old_password):
        raise FieldValidationError({"old_password": ["The current password is incorrect."]})
    _validate_password(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    revoke_all_tokens(user=user)
    close_user_sockets_on_commit(user.pk)


def request_password_reset(*, email: str, site_url: str = "") -> None:
    """Email a reset link if an active account has this address. Says nothing either way."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is not None:
        enqueue_on_commit(tasks.send_password_reset_email, user.pk, site_url)


@transaction.atomic
def confirm_password_reset(*, uid: str, token: str, new_password: str) -> User:
    user_id = read_password_reset_uid(uid)
    user = None
    if user_id is not None:
        user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None or not check_password_reset_token(user, token):
        raise FieldValidationError({"token": ["This reset link is invalid or has expired."]})
    _validate_password(new_password, user=user, field="new_password")
    user.set_password(new_password)
    # The link reached the mailbox, which proves the address.
    user.email_verified = True
    user.save(update_fields=["password", "email_verified"])
    revoke_all_tokens(user=user)
    close_user_sockets_on_commit(user.pk)
    return user


# --- profile -----------------------------------------------------------------------------


# Protecting an account removes others' retweets of its tweets, lifting protection accepts
# its pending follow requests: tweets' and follows' work (counters, feeds, notifications),
# and those apps sit above accounts (docs/architecture.md, layers). friendships plugs it in
# here when Django starts (FriendshipsConfig.ready); each hook gets the user, with
# `is_protected` already changed, in update_profile's transaction.
protection_changed_hooks: list[Callable[[User], None]] = []


@transaction.atomic
def update_profile(*, user: User, data: dict[str, Any], site_url: str = "") -> User:
    """Apply a validated partial update of /me/. A new email becomes unverified and gets a
    verification email; a new avatar is validated, re-encoded and replaces the old file;
    turning `is_protected` on removes others' retweets of the user's tweets, turning it off
    accepts pending follow requests."""
    user = User.objects.select_for_update().get(pk=user.pk)
    changed: list[str] = []
    for field in PROFILE_FIELDS:
        if field in data and getattr(user, field) != data[field]:
            setattr(user, field, data[field])
            changed.append(field)

    if "username" in data and data["username"] != user.username:
        _ensure_username_free(data["username"], exclude=user)
        user.username = data["username"]
        changed.append("username")

    email_changed = False
    if "email" in data and data["email"].lower() != user.email.lower():
        email = data["email"].strip().lower()
        _ensure_email_free(email, exclude=user)
        user.email, user.email_verified = email, False
        changed += ["email", "email_verified"]
        email_changed = True

    old_avatar = user.avatar.name if user.avatar else ""
    if data.get("avatar") is not None:
        image = process_image(
            data["avatar"],
            max_bytes=settings.AVATAR_MAX_BYTES,
            max_pixels=settings.AVATAR_MAX_PIXELS,
            max_side=settings.AVATAR_SIZE,
        )
        user.avatar.save(f"avatar.{image.extension}", image.content, save=False)
        changed.append("avatar")
        _delete_file_on_commit(user.avatar.storage, old_avatar)

    if changed:
        _save_unique(user, update_fields=changed)
    if "is_protected" in data and data["is_protected"] != user.is_protected:
        user.is_protected = data["is_protected"]
        user.save(update_fields=["is_protected"])
        for hook in protection_changed_hooks:
            hook(user)
    if email_changed and user.email:
        enqueue_on_commit(tasks.send_verification_email, user.pk, site_url)
    return user


@transaction.atomic
def delete_avatar(*, user: User) -> None:
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.avatar:
        return
    _delete_file_on_commit(user.avatar.storage, user.avatar.name)
    user.avatar = ""
    user.save(update_fields=["avatar"])


def _delete_file_on_commit(storage, name: str) -> None:
    if name:
        transaction.on_commit(lambda: storage.delete(name))
