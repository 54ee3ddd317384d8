"""Logging in with Facebook: the user for a token, matched by Facebook id, linked by a
verified email, or registered (POST /auth/facebook/ and the browser flow's callback).
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.exceptions import AccountSuspended, AuthenticationFailed
from accounts.models import User
from core.exceptions import Conflict
from facebook_connect.exceptions import EmailInUse
from facebook_connect.models import FacebookAccount
from facebook_connect.services.connection import link_account, store_token
from facebook_connect.services.sync import schedule_sync
from facebook_connect.services.tokens import VerifiedToken, verify_token

logger = logging.getLogger(__name__)


def _locked_account(facebook_id: str) -> FacebookAccount | None:
    return (
        FacebookAccount.objects.select_for_update()
        .select_related("user")
        .filter(facebook_id=facebook_id)
        .first()
    )


def _refusal_to_link(owner: User) -> EmailInUse | None:
    """Why the Facebook account may not be linked to the user with its email, if it may not.
    Linking by email is only safe when this account proved the address to us; otherwise
    whoever registered it first could take over the Facebook login, or the Facebook user an
    account someone else is about to verify."""
    if not owner.email_verified or not owner.is_active:
        return EmailInUse()
    if FacebookAccount.objects.filter(user=owner).exists():
        return EmailInUse(
            "The account with this Facebook account's email is connected to another "
            "Facebook account."
        )
    return None


@transaction.atomic
def _match_or_register(verified: VerifiedToken, site_url: str) -> tuple[User, bool]:
    account = _locked_account(verified.facebook_id)
    if account is None:
        email = verified.profile.email
        owner = User.objects.filter(email__iexact=email).first() if email else None
        if owner is None:
            user = account_services.create_user_from_profile(
                name=verified.profile.name, email=email, site_url=site_url
            )
            return _logged_in(link_account(user, verified), created=True)
        refusal = _refusal_to_link(owner)
        if refusal is None:
            return _logged_in(link_account(owner, verified), created=False)
        # A concurrent login with this token may have registered (or linked) the owner after
        # our first read: it committed the account row in the same transaction, so a second
        # read finds it, and this login matches it rather than refusing.
        account = _locked_account(verified.facebook_id)
        if account is None:
            raise refusal
    if account.user.suspended_at is not None:
        raise AccountSuspended()  # the Facebook token proves who it is, as a password does
    if not account.user.is_active:
        raise AuthenticationFailed("This account is disabled.")
    store_token(account, verified)
    return _logged_in(account, created=False)


def _logged_in(account: FacebookAccount, *, created: bool) -> tuple[User, bool]:
    user = account.user
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    user.facebook_account = account  # /me's facebook_connected without a query
    schedule_sync(account)
    return user, created


def login_with_facebook(*, access_token: str, site_url: str = "") -> tuple[User, bool]:
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
            return _match_or_register(verified, site_url)
        except IntegrityError:
            logger.info("concurrent Facebook login for %s; reading again", verified.facebook_id)
    raise Conflict("Another login for this Facebook account is in progress. Try again.")
