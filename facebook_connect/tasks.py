"""Facebook background work. Thin: ids in, services do the work; idempotent, acks_late,
retried with backoff well below the broker's visibility_timeout (docs/reliability.md trap 6;
core.tasks.Task and CELERY_TASK_* settings). A task whose row is gone does nothing.

The services import this module inside the functions that enqueue: it imports them at load
time, and services/callbacks.py takes a name from services/connection.py, so an import at
their top would circle back into a half-loaded module."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from core.tasks import PeriodicTask, Task
from facebook_connect import selectors
from facebook_connect.exceptions import FacebookError
from facebook_connect.services import callbacks, shares, sync, tokens


class GraphTask(Task):
    """A task that talks to Facebook. A failure is retried with backoff when trying again
    can succeed: a database or network error, or a Graph error that says it is `retryable`
    (Facebook down or rate limiting). Any other Graph error (a rejected token, a missing
    permission, an answer we cannot use) fails the task at once. Graph's pages of friends
    and likes take longer than the default time limits."""

    autoretry_for = (FacebookError, DatabaseError, OSError)
    time_limit = 240
    soft_time_limit = 200

    def retry(self, *args, exc=None, **kwargs):
        # Celery's autoretry calls this for every error in autoretry_for; the error decides.
        if isinstance(exc, FacebookError) and not exc.retryable:
            raise exc
        return super().retry(*args, exc=exc, **kwargs)


@shared_task(base=GraphTask)
def sync_facebook_account(account_id: int) -> bool:
    """Profile, avatar, friends and likes of one account."""
    return sync.sync_account(account_id=account_id)


@shared_task(base=GraphTask)
def refresh_facebook_token(account_id: int) -> bool:
    return tokens.refresh_token(account_id=account_id)


@shared_task(base=PeriodicTask)
def refresh_expiring_tokens() -> int:
    """Beat task: refresh the tokens that expire within FACEBOOK_TOKEN_REFRESH_DAYS."""
    ids = selectors.list_expiring_account_ids(
        within=timedelta(days=settings.FACEBOOK_TOKEN_REFRESH_DAYS)
    )
    for account_id in ids:
        refresh_facebook_token.apply_async(args=(account_id,))
    return len(ids)


# One retry discipline, held by the share row (services.shares): its attempts against
# FACEBOOK_SHARE_MAX_ATTEMPTS and when its retry is due. This countdown ends then, and the
# reconciler only steps in once that retry is overdue, so Celery's own counter is unbounded
# here, and no error retries it on its own; the outbox row ends `done` or `failed`.
@shared_task(bind=True, autoretry_for=(), max_retries=None)
def publish_share(self, share_id: int) -> None:
    while True:
        delay = shares.publish_share(share_id=share_id)
        if delay is None:
            return
        if not self.request.is_eager:
            raise self.retry(countdown=delay)
        # Eager mode (embedded, tests) has no broker to hold a countdown, and an eager
        # Retry propagates as an error: attempt again in-process, without the wait.


@shared_task(base=PeriodicTask)
def reconcile_outbox() -> int:
    """Beat task: re-enqueue pending shares and data deletions whose task was lost or gave
    up (trap 5)."""
    share_ids = selectors.list_stalled_share_ids()
    for share_id in share_ids:
        publish_share.apply_async(args=(share_id,))
    deletion_ids = selectors.list_stalled_deletion_ids()
    for deletion_id in deletion_ids:
        delete_facebook_data.apply_async(args=(deletion_id,))
    return len(share_ids) + len(deletion_ids)


@shared_task(base=GraphTask)
def delete_facebook_data(deletion_id: int) -> bool:
    return callbacks.delete_facebook_data(deletion_id=deletion_id)
