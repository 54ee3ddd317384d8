"""Every task's defaults, and scheduling background work after commit without letting a
broker outage break the request that caused it (docs/reliability.md trap 5).

Work that must not be lost is recorded in the same transaction (a state column or an
outbox row) and re-enqueued by a periodic reconciler; enqueue_on_commit only tries once,
fast. Core's own periodic work (the idempotency keys' purge) is here too.
"""

import logging

import celery
from celery import shared_task
from django.db import DatabaseError, transaction

from core import idempotency

logger = logging.getLogger(__name__)


class Task(celery.Task):
    """The class of every task (config/celery.py). Settings give each one acks_late,
    reject_on_worker_lost and its time limits (CELERY_TASK_*); this class gives the retry
    policy: an error that may pass (the database, the network) is retried with exponential
    backoff and jitter, well below the broker's visibility_timeout (docs/reliability.md trap 6).
    A task with a policy of its own overrides these attributes, in its decorator or in a
    subclass (the fan-out retries sooner; Facebook's tasks retry Graph errors too)."""

    autoretry_for = (DatabaseError, OSError)
    retry_backoff = 30
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5


class PeriodicTask(Task):
    """A task beat runs on a schedule (CELERY_BEAT_SCHEDULE): not retried, its next run is
    its retry (and beat, or the embedded beat, logs the failure)."""

    autoretry_for = ()


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send `task` with these arguments once the current transaction commits.

    If the broker is unreachable the error is logged, not raised: the write has already
    committed, and the caller's reconciler (or a later retry) finishes the work.
    """

    def send() -> None:
        try:
            task.apply_async(args=args, kwargs=kwargs)
        except Exception:
            logger.exception("could not enqueue %s%r; the reconciler will retry", task.name, args)

    transaction.on_commit(send)


@shared_task(base=PeriodicTask)
def purge_idempotency_keys() -> int:
    """Beat task: delete the idempotency keys past IDEMPOTENCY_KEY_TTL_SECONDS (24 hours)."""
    return idempotency.purge_expired_keys()
