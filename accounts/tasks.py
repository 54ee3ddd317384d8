from celery import shared_task

from accounts import emails
from accounts.models import User


@shared_task
def send_verification_email(user_id: int, site_url: str = "") -> None:
    user = User.objects.filter(pk=user_id, is_active=True, email_verified=False).first()
    if user is None or not user.email:
        return  # gone, deactivated or already verified: nothing to send
    emails.send_verification_email(user, site_url)


@shared_task
def send_password_reset_email(user_id: int, site_url: str = "") -> None:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return
    emails.send_password_reset_email(user, site_url)
