import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings


class AppRegistration(models.Model):
    """What Mastodon's POST /api/v1/apps records beside django-oauth-toolkit's Application:
    the scopes the app may ask for and its website."""

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="mastodon",
    )
    scopes = models.CharField(max_length=500)
    website = models.URLField(max_length=500, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.application_id}: {self.scopes}"


def media_upload_to(instance: "MediaUpload", filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1]
    return f"mastodon-media/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


class MediaUpload(models.Model):
    """A photo uploaded with POST /api/v2/media, already validated and re-encoded, waiting
    for the status that attaches it (then it becomes the tweet's photo and this row goes).
    Rows older than MASTODON_MEDIA_TTL are purged."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    image = models.ImageField(upload_to=media_upload_to)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    description = models.CharField(max_length=1500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="mastodon_media_created")]

    def __str__(self) -> str:
        return self.image.name
