"""Fan-out tasks. Thin: ids in, services do the work; idempotent, acks_late, retried.

Time limits and backoff stay far below the Redis broker's visibility_timeout (1 hour), so a
slow task is never redelivered while it still runs (docs/reliability.md trap 6).
"""

from celery import shared_task
from django.db import DatabaseError

from newsfeeds import services

RETRY = {
    "acks_late": True,
    "autoretry_for": (DatabaseError, OSError),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 8,
    "time_limit": 120,
    "soft_time_limit": 100,
}


@shared_task(**RETRY)
def fanout_tweet(tweet_id: int) -> int:
    """Split the fan-out into batches and enqueue each as its own task."""
    batch_ids = services.dispatch_fanout(tweet_id=tweet_id)
    for batch_id in batch_ids:
        fanout_batch.apply_async(args=(batch_id,))
    return len(batch_ids)


@shared_task(**RETRY)
def fanout_batch(batch_id: int) -> int:
    return services.deliver_batch(batch_id=batch_id)


# Both limits: the soft one raises SoftTimeLimitExceeded inside the task, so it ends cleanly
# before the hard one kills the worker process. The project-wide default is a hard limit
# only (CELERY_TASK_TIME_LIMIT, 300 s), far below the broker's visibility_timeout.
@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def reconcile_fanouts() -> int:
    """Beat task: re-enqueue fan-outs still pending after NEWSFEED_RECONCILE_AFTER_SECONDS."""
    return services.reconcile_fanouts()
