"""The emails accounts send. Plain text; each carries a link to a page that completes the
flow by posting the token back to the API: this server's own pages (accounts/pages), or a
client's at FRONTEND_URL when that is set (a SPA, or a mobile app's registered links).

The token travels in the link's fragment (`#token=...`): browsers never send a fragment to
a server, so tokens stay out of access logs, proxies and Referer headers; the page reads it
and posts it.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import send_mail
from django.http import HttpRequest

from accounts.models import User
from accounts.tokens import make_email_verification_token, make_password_reset_pair

VERIFY_EMAIL_PAGE = "/verify-email/"
RESET_PASSWORD_PAGE = "/reset-password/"


def site_url_of(request: HttpRequest) -> str:
    """This server as the client that caused an email reached it (scheme, host and port):
    the base of that email's links unless FRONTEND_URL is set."""
    return request.build_absolute_uri("/")


def _link(site_url: str, page: str, **params: str) -> str:
    base = (settings.FRONTEND_URL or site_url).rstrip("/")
    return f"{base}{page}#{urlencode(params)}"


def send_verification_email(user: User, site_url: str) -> None:
    token = make_email_verification_token(user)
    link = _link(site_url, VERIFY_EMAIL_PAGE, token=token)
    send_mail(
        subject="Confirm your email for Chirp",
        message=(
            f"Hi {user.username},\n\nConfirm that this is your email address:\n{link}\n\n"
            f"Or send this token to POST /api/v1/auth/email/verify/:\n{token}\n\n"
            "If you did not sign up for Chirp, ignore this message."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )


def send_password_reset_email(user: User, site_url: str) -> None:
    uid, token = make_password_reset_pair(user)
    link = _link(site_url, RESET_PASSWORD_PAGE, uid=uid, token=token)
    send_mail(
        subject="Reset your Chirp password",
        message=(
            f"Hi {user.username},\n\nSomeone asked to reset your password. To choose a new "
            f"one, open:\n{link}\n\nOr send uid={uid} and token={token} to "
            "POST /api/v1/auth/password/reset/confirm/.\n\n"
            "If it was not you, ignore this message: your password is unchanged."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )
