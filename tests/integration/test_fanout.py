"""Fan-out through a real Celery worker on PostgreSQL and Redis (not eager)."""

import psycopg
import pytest
from django.db import connection
from rest_framework.test import APIClient

from newsfeeds import tasks
from newsfeeds.models import Fanout, FanoutBatch
from tests.conftest import authenticate
from tests.integration.conftest import wait_until
from tests.integration.feeds import (
    assert_cache_agrees,
    assert_feeds_complete,
    batches_done,
    cached_feed,
    fanout_status,
    feed_rows,
    make_author_with_followers,
    post_tweet,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.mark.slow
def test_tweet_reaches_each_of_2500_followers_exactly_once(start_worker, settings):
    settings.NEWSFEED_FANOUT_BATCH_SIZE = 500
    author, followers = make_author_with_followers(2500)
    sample = [followers[0], followers[1], followers[1250], followers[-1]]
    sample_users = {user_id: APIClient() for user_id in sample}
    for user_id, client in sample_users.items():
        # Reading the feed caches it (empty and complete), so the fan-out pushes into it.
        authenticate(client, author.__class__.objects.get(pk=user_id))
        response = client.get("/api/v1/newsfeed/")
        assert response.status_code == 200
        assert response.json()["results"] == []
        assert cached_feed(user_id) == []
    worker = start_worker(NEWSFEED_FANOUT_BATCH_SIZE="500")

    tweet_id = post_tweet(APIClient(), author, "hello, all 2500 of you")

    wait_until(lambda: fanout_status(tweet_id) == Fanout.DONE, 60, what="the fan-out to finish")
    batches = FanoutBatch.objects.filter(fanout_id=tweet_id)
    assert batches.count() == 5
    assert not batches.filter(done_at__isnull=True).exists()
    assert len(feed_rows(tweet_id)) == 2501
    assert_feeds_complete()
    assert_cache_agrees(sample)
    for client in sample_users.values():
        body = client.get("/api/v1/newsfeed/").json()
        assert [item["id"] for item in body["results"]] == [tweet_id]
    assert "Traceback" not in worker.log()


def test_the_same_batch_delivered_twice_changes_nothing(start_worker, settings):
    settings.NEWSFEED_FANOUT_BATCH_SIZE = 10
    author, _followers = make_author_with_followers(30)
    worker = start_worker(NEWSFEED_FANOUT_BATCH_SIZE="10")
    tweet_id = post_tweet(APIClient(), author, "say it once")
    wait_until(lambda: fanout_status(tweet_id) == Fanout.DONE, 30, what="the fan-out to finish")
    rows = feed_rows(tweet_id)
    done, reopened = FanoutBatch.objects.filter(fanout_id=tweet_id).order_by("after_id")[:2]
    # A batch delivered again after it finished, and one whose completion was lost (as if
    # the worker died between its insert and its bookkeeping): both run for real.
    FanoutBatch.objects.filter(pk=reopened.pk).update(done_at=None)

    again = tasks.fanout_batch.delay(done.pk)
    redo = tasks.fanout_batch.delay(reopened.pk)
    whole = tasks.fanout_tweet.delay(tweet_id)

    assert worker.wait_for_task(again.id) == "0"  # already done: skipped
    assert worker.wait_for_task(redo.id) == "10"  # re-inserted: every row conflicts
    assert worker.wait_for_task(whole.id) == "0"  # fan-out done: nothing to dispatch
    assert feed_rows(tweet_id) == rows
    assert FanoutBatch.objects.get(pk=reopened.pk).done_at is not None
    assert fanout_status(tweet_id) == Fanout.DONE
    assert_feeds_complete()


def test_last_batches_finishing_together_complete_the_fanout(start_worker, settings):
    """Two last batches committing at the same moment: each must not take the other for
    still pending (then neither would mark the fan-out done, until the reconciler)."""
    settings.NEWSFEED_FANOUT_BATCH_SIZE = 10
    author, _ = make_author_with_followers(20)  # 2 batches, one per worker process
    tweet_id = post_tweet(APIClient(), author, "two batches, one finish line")
    # Hold both batches at their INSERT, then let them go at once.
    db = connection.settings_dict
    gate = psycopg.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None,
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432,
    )  # fmt: skip
    try:
        gate.execute("LOCK TABLE newsfeeds_newsfeed IN ACCESS EXCLUSIVE MODE")
        start_worker(NEWSFEED_FANOUT_BATCH_SIZE="10")

        def both_waiting() -> bool:
            row = gate.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = 'newsfeeds_newsfeed' AND NOT l.granted"
            ).fetchone()
            return row[0] >= 2

        wait_until(both_waiting, 30, 0.05, "both batches to wait for the feed table")
    finally:
        gate.rollback()
        gate.close()

    wait_until(lambda: batches_done(tweet_id) == 2, 30, what="both batches")
    # Done as soon as the last batch commits, not one reconciler period later.
    wait_until(lambda: fanout_status(tweet_id) == Fanout.DONE, 5, what="the fan-out")
    assert_feeds_complete()
