"""The browser flow's `state`: signed (Django signing, salted), short-lived
(FACEBOOK_STATE_MAX_AGE), single-use (its nonce is burnt in the cache on first use), and
bound to the browser that started the flow (the nonce is also in an HttpOnly cookie), so a
callback URL made by someone else cannot log a victim into the attacker's account.
"""

import hmac
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from facebook_connect.exceptions import FacebookNotConfigured, InvalidState

STATE_SALT = "facebook_connect.oauth.state"
STATE_COOKIE = "fb_oauth_state"


def callback_path() -> str:
    return reverse("facebook-auth-callback")


def redirect_uri(request) -> str:
    """Where Facebook sends the browser back; must be listed in the app's settings."""
    return settings.FACEBOOK_REDIRECT_URI or request.build_absolute_uri(callback_path())


def safe_next(request, candidate: str | None) -> str:
    """`candidate` if it stays on this site (no open redirect), else the default."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return settings.FACEBOOK_LOGIN_REDIRECT_URL


def make_state(next_url: str) -> tuple[str, str]:
    """(state for the dialog URL, nonce for the browser's cookie)."""
    nonce = secrets.token_urlsafe(24)
    return signing.dumps({"n": nonce, "next": next_url}, salt=STATE_SALT), nonce


def consume_state(request, state: str, cookie_nonce: str | None) -> str:
    """The `next` URL of a valid, fresh, unused state from this browser; InvalidState
    otherwise. The state cannot be used again."""
    try:
        data = signing.loads(state, salt=STATE_SALT, max_age=settings.FACEBOOK_STATE_MAX_AGE)
    except signing.BadSignature as exc:  # SignatureExpired included
        raise InvalidState() from exc
    nonce = data.get("n") if isinstance(data, dict) else None
    if not isinstance(nonce, str) or not cookie_nonce:
        raise InvalidState()
    if not hmac.compare_digest(nonce.encode(), cookie_nonce.encode()):
        raise InvalidState()
    if not cache.add(f"facebook:state:{nonce}", 1, timeout=settings.FACEBOOK_STATE_MAX_AGE + 60):
        raise InvalidState("This login link was used already. Start again.")
    next_url = data.get("next")
    return safe_next(request, next_url if isinstance(next_url, str) else None)


def dialog_url(*, state: str, redirect_to: str) -> str:
    if not settings.FACEBOOK_APP_ID:
        raise FacebookNotConfigured()
    query = urlencode(
        {
            "client_id": settings.FACEBOOK_APP_ID,
            "redirect_uri": redirect_to,
            "state": state,
            "response_type": "code",
            "scope": ",".join(settings.FACEBOOK_SCOPES),
        }
    )
    base = settings.FACEBOOK_DIALOG_URL.rstrip("/")
    return f"{base}/{settings.FACEBOOK_API_VERSION.strip('/')}/dialog/oauth?{query}"
