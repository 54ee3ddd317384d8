from celery import shared_task

from accounts import emails
from accounts.models import User

EMAIL_TASK_OPTIONS = {
    "acks_late": True,
    "autoretry_for": (OSError,),  # SMTP and socket errors
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "max_retries": 5,
}


@shared_task(**EMAIL_TASK_OPTIONS)
def send_verification_email(user_id: int, site_url: str = "") -> None:
    user = User.objects.filter(pk=user_id, is_active=True, email_verified=False).first()
    if user is None or not user.email:
        return  # gone, deactivated or already verified: nothing to send
    emails.send_verification_email(user, site_url)


@shared_task(**EMAIL_TASK_OPTIONS)
def send_password_reset_email(user_id: int, site_url: str = "") -> None:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return
    emails.send_password_reset_email(user, site_url)
