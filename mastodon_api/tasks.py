"""The layer's one background job (thin: the service does the work)."""

from celery import shared_task

from core.tasks import PeriodicTask
from mastodon_api import services


@shared_task(base=PeriodicTask)
def purge_media() -> int:
    """Beat task: delete photos uploaded through /api/v2/media that no status attached
    within MASTODON_MEDIA_TTL."""
    return services.purge_media()
