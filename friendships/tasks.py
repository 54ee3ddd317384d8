from celery import shared_task

from friendships import suggestions


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def refresh_suggestions() -> int:
    """Beat task: recompute who-to-follow for users active in the last week."""
    return suggestions.refresh_active_users()
