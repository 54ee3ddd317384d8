"""Single-purpose signed tokens for emails: verification links and password resets."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

EMAIL_VERIFY_SALT = "accounts.email-verify"


def make_email_verification_token(user) -> str:
    # Bound to the address: changing the email invalidates links sent to the old one.
    return signing.dumps({"u": user.pk, "e": user.email.lower()}, salt=EMAIL_VERIFY_SALT)


def read_email_verification_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(
            token, salt=EMAIL_VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE
        )
        return int(data["u"]), str(data["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def make_password_reset_pair(user) -> tuple[str, str]:
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)


def read_password_reset_uid(uid: str) -> int | None:
    try:
        return int(force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError, OverflowError):
        return None


def check_password_reset_token(user, token: str) -> bool:
    return default_token_generator.check_token(user, token)
