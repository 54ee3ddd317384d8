"""The emails accounts send. Plain text; links point at FRONTEND_URL, whose page posts the
token back to the API (a mobile app can register the same links)."""

from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import send_mail

from accounts.models import User
from accounts.tokens import make_email_verification_token, make_password_reset_pair


def send_verification_email(user: User) -> None:
    token = make_email_verification_token(user)
    link = f"{settings.FRONTEND_URL}/verify-email?{urlencode({'token': token})}"
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


def send_password_reset_email(user: User) -> None:
    uid, token = make_password_reset_pair(user)
    link = f"{settings.FRONTEND_URL}/reset-password?{urlencode({'uid': uid, 'token': token})}"
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
