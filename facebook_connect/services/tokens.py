"""A Facebook user token's life: checked with Facebook and exchanged for a long-lived one
(login, connect, the browser flow's `code`), refreshed before it expires, forgotten when
Facebook revokes it.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from facebook_connect import graph
from facebook_connect.exceptions import FacebookError, FacebookTokenInvalid
from facebook_connect.models import FacebookAccount


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


def mark_disconnected(*, account_id: int) -> None:
    """The token was revoked or expired: forget it; the link (Facebook id) stays, so the
    next Facebook login finds the same user."""
    FacebookAccount.objects.filter(pk=account_id, disconnected_at__isnull=True).update(
        access_token="", token_expires_at=None, disconnected_at=timezone.now()
    )


def token_proves(*, user_id: int, access_token: str) -> bool:
    """Whether this user token, checked with Facebook now (debug_token: valid, our app,
    not expired), belongs to the Facebook account linked to the user: what a Facebook-only
    account gives where others type their password (account deletion).

    Raises FacebookTokenInvalid for a token Facebook refuses, FacebookUnavailable.
    """
    account = FacebookAccount.objects.filter(user_id=user_id).first()
    if account is None:
        return False
    return graph.client().debug_token(access_token).facebook_id == account.facebook_id
