from celery import shared_task

from core.tasks import PeriodicTask
from friendships import suggestions


@shared_task(base=PeriodicTask, time_limit=600, soft_time_limit=540)
def refresh_suggestions() -> int:
    """Beat task: recompute who-to-follow for users active in the last week."""
    return suggestions.refresh_active_users()
