"""The password throttle (docs/reliability.md trap 16).

Every door that checks a password counts against the same two buckets, so a guesser who
reached the limit at one door cannot go on at another: the API login, the browsable API's
and the admin's login forms (accounts.login_pages), password change; any new door that
takes a password (account deletion) calls check_password_attempt before checking it.

- per client IP (scope `login`): one address guessing at many accounts;
- per account (scope `login_account`): many addresses guessing at one account. The account
  is the user the login names, by username or email in any case, so alternating the two
  earns no second bucket; a login naming nobody is counted under its normalised text.

Over either rate: 429 `throttled` with Retry-After. Attempts are counted whatever their
outcome, as DRF's throttles count requests.
"""

import hashlib

from django.conf import settings
from rest_framework.exceptions import Throttled

from accounts.models import User
from accounts.selectors import find_user_by_login
from core.throttling import ScopedRateThrottle


class PasswordThrottle(ScopedRateThrottle):
    """One of the two buckets, counted under the key the caller names (an account), or by
    default under the client's IP whoever is signed in. A second entry point to the one
    throttle class, on purpose: the account is known only once the body is read, after DRF's
    throttles ran, and Django's login forms are not DRF views at all."""

    def __init__(self, scope: str, ident: str | None = None) -> None:
        self.throttle_scope, self.ident = scope, ident  # the throttle is its own "view"

    def get_cache_key(self, request, view) -> str:
        ident = self.ident or self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def check(self, request) -> None:
        """Count this request; over the rate, raise Throttled (429 with Retry-After), as a
        view's throttles would."""
        if not self.allow_request(request, self):
            raise Throttled(wait=self.wait())


def check_password_attempt(request, *, login: str = "", user: User | None = None) -> None:
    """Count one password attempt on `user` (or the account `login` names) from this
    client. Call it before the password is checked; raises Throttled when the client's IP
    or the account is over its rate."""
    if not settings.THROTTLE_ENABLED:
        return  # spare the account lookup
    if user is None:
        user = find_user_by_login(login)
    if user is not None:
        account = f"u{user.pk}"
    else:
        account = "login-" + hashlib.sha256(login.strip().lower().encode()).hexdigest()[:32]
    PasswordThrottle("login").check(request)
    PasswordThrottle("login_account", ident=account).check(request)
