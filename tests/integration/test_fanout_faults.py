"""Fan-out under faults (docs/reliability.md fault tests 1, 2, 3 and 5): the broker down at
posting time, the broker emptied, a worker killed mid-fan-out, a batch failing on a database
error. Each ends with invariant I1."""

import time
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from rest_framework.test import APIClient

from newsfeeds import services
from newsfeeds.models import Fanout, FanoutBatch
from tests.integration.conftest import wait_until
from tests.integration.feeds import (
    assert_feeds_complete,
    batches_done,
    fanout_status,
    feed_rows,
    make_author_with_followers,
    post_tweet,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def reconcile_now() -> int:
    """What the beat-scheduled reconciler does, without waiting for its delay."""
    return services.reconcile_fanouts(older_than=timedelta(0))


def wait_done(tweet_id: int, timeout: float = 30) -> None:
    wait_until(lambda: fanout_status(tweet_id) == Fanout.DONE, timeout, what="the fan-out")


def test_broker_down_at_posting_is_healed_by_the_reconciler(start_worker, broker, settings):
    settings.NEWSFEED_FANOUT_BATCH_SIZE = 20
    author, _ = make_author_with_followers(50)
    start_worker(NEWSFEED_FANOUT_BATCH_SIZE="20")

    with broker.unreachable():
        started = time.monotonic()
        tweet_id = post_tweet(APIClient(), author, "posted while the broker is down")
        elapsed = time.monotonic() - started
    assert elapsed < 10, f"posting took {elapsed:.1f}s with the broker down: it must fail fast"
    assert fanout_status(tweet_id) == Fanout.PENDING
    assert broker.queue_length() == 0
    assert [user for _, user in feed_rows(tweet_id)] == [author.pk]  # the author's own row

    assert reconcile_now() == 1
    wait_done(tweet_id)
    assert_feeds_complete()


@pytest.mark.exclusive_broker
def test_broker_emptied_before_consumption_is_healed_by_the_reconciler(
    start_worker, broker, settings
):
    settings.NEWSFEED_FANOUT_BATCH_SIZE = 20
    author, _ = make_author_with_followers(50)

    # No worker yet: the message waits in Redis, which then loses everything.
    tweet_id = post_tweet(APIClient(), author, "lost with the queue")
    assert broker.queue_length() == 1
    broker.flush()
    assert broker.queue_length() == 0
    start_worker(NEWSFEED_FANOUT_BATCH_SIZE="20")
    assert fanout_status(tweet_id) == Fanout.PENDING

    assert reconcile_now() == 1
    wait_done(tweet_id)
    assert_feeds_complete()


@pytest.mark.slow
def test_worker_killed_mid_fanout_another_worker_and_the_reconciler_finish(start_worker, settings):
    settings.NEWSFEED_FANOUT_BATCH_SIZE = 25
    author, _ = make_author_with_followers(500)  # 20 batches
    doomed = start_worker(NEWSFEED_FANOUT_BATCH_SIZE="25")

    tweet_id = post_tweet(APIClient(), author, "the worker will not see the end of this")
    wait_until(lambda: batches_done(tweet_id) >= 1, 30, 0.005, "the first batch")
    doomed.kill()
    done_at_kill = batches_done(tweet_id)
    assert done_at_kill < 20, "the fan-out finished before the kill: nothing was tested"
    assert fanout_status(tweet_id) == Fanout.PENDING

    start_worker(NEWSFEED_FANOUT_BATCH_SIZE="25")
    # Batches still queued are consumed by the new worker; those the dead worker had taken
    # stay unacknowledged in Redis until the visibility timeout (an hour): the reconciler
    # re-dispatches what is still undone.
    reconcile_now()
    wait_done(tweet_id)
    assert FanoutBatch.objects.filter(fanout_id=tweet_id).count() == 20
    assert batches_done(tweet_id) == 20
    assert_feeds_complete()


@pytest.mark.slow
def test_batch_failing_on_a_database_error_is_retried(start_worker, settings):
    settings.NEWSFEED_FANOUT_BATCH_SIZE = 10
    author, _ = make_author_with_followers(30)
    tweet_id = post_tweet(APIClient(), author, "the feed table is locked")

    # A real database fault: another session holds the feed table, and the worker's
    # connections give up waiting for a lock after 500 ms (LockNotAvailable, a DatabaseError).
    db = connection.settings_dict
    locker = psycopg.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None,
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432,
    )  # fmt: skip
    try:
        locker.execute("LOCK TABLE newsfeeds_newsfeed IN ACCESS EXCLUSIVE MODE")
        worker = start_worker(
            database_options={"lock_timeout": "500"}, NEWSFEED_FANOUT_BATCH_SIZE="10"
        )
        wait_until(lambda: "fanout_batch" in worker.log() and " retry: " in worker.log(), 30,
                   0.05, "a fan-out batch to fail and be retried")  # fmt: skip
        assert "LockNotAvailable" in worker.log() or "lock timeout" in worker.log()
        assert batches_done(tweet_id) == 0
        assert fanout_status(tweet_id) == Fanout.PENDING
    finally:
        locker.rollback()  # releases the lock
        locker.close()

    wait_done(tweet_id)
    assert batches_done(tweet_id) == 3
    assert_feeds_complete()
