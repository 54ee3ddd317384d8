"""Fan-out tasks. Thin: ids in, services do the work; idempotent, acks_late, retried
(core.tasks.Task, CELERY_TASK_* settings).

Time limits and backoff stay far below the Redis broker's visibility_timeout (1 hour), so a
slow task is never redelivered while it still runs (docs/reliability.md trap 6).
"""

from celery import shared_task

from core.tasks import PeriodicTask, Task
from newsfeeds import services


class FanoutTask(Task):
    """Sooner and more often than the default: a tweet is late in feeds while it waits."""

    retry_backoff = 2
    retry_backoff_max = 60
    max_retries = 8


@shared_task(base=FanoutTask)
def fanout_tweet(tweet_id: int) -> int:
    """Split the fan-out into batches and enqueue each as its own task."""
    batch_ids = services.dispatch_fanout(tweet_id=tweet_id)
    for batch_id in batch_ids:
        fanout_batch.apply_async(args=(batch_id,))
    return len(batch_ids)


@shared_task(base=FanoutTask)
def fanout_batch(batch_id: int) -> int:
    return services.deliver_batch(batch_id=batch_id)


@shared_task(base=PeriodicTask)
def reconcile_fanouts() -> int:
    """Beat task: re-enqueue fan-outs still pending after NEWSFEED_RECONCILE_AFTER_SECONDS."""
    return services.reconcile_fanouts()
