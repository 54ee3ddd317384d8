"""A block made while a fan-out is queued holds (docs/safety.md): the batch's INSERT ...
SELECT leaves out followers with a block, either way, with the author, or with the
original's author for a retweet, as of when the batch runs. Real PostgreSQL, Redis broker
and Celery worker."""

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from newsfeeds.models import Fanout, NewsFeed
from tests.conftest import authenticate
from tests.integration.conftest import wait_until
from tests.integration.feeds import fanout_status, make_author_with_followers, post_tweet
from tweets.models import Tweet

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def readers(tweet_id: int) -> set[int]:
    return set(NewsFeed.objects.filter(tweet_id=tweet_id).values_list("user_id", flat=True))


def test_a_block_made_while_the_fanout_is_queued_keeps_the_tweet_out(
    broker, start_worker, settings
):
    settings.NEWSFEED_FANOUT_BATCH_SIZE = 20
    author, authors_followers = make_author_with_followers(50)
    retweeter, retweeters_followers = make_author_with_followers(50)
    blocks_the_author = User.objects.get(pk=authors_followers[3])
    blocks_the_original = User.objects.get(pk=retweeters_followers[5])

    # No worker yet: both fan-outs wait in the broker.
    tweet_id = post_tweet(APIClient(), author, "queued behind a block")
    response = authenticate(APIClient(), retweeter).post(f"/api/v1/tweets/{tweet_id}/retweet/")
    assert response.status_code == 200
    retweet_id = Tweet.objects.get(user=retweeter, retweet_of_id=tweet_id).pk
    assert broker.queue_length() == 2
    # The blocks commit before any batch has run.
    for blocker in (blocks_the_author, blocks_the_original):
        response = authenticate(APIClient(), blocker).post(
            f"/api/v1/users/{author.username}/block/"
        )
        assert response.status_code == 200

    start_worker(NEWSFEED_FANOUT_BATCH_SIZE="20")
    wait_until(
        lambda: fanout_status(tweet_id) == fanout_status(retweet_id) == Fanout.DONE,
        30,
        what="both fan-outs",
    )

    # The blocker no longer follows the author (the block removed it); everyone else got it.
    assert readers(tweet_id) == {author.pk, *authors_followers} - {blocks_the_author.pk}
    # A follower of the retweeter who blocks the original's author does not get the retweet.
    assert readers(retweet_id) == {retweeter.pk, *retweeters_followers} - {blocks_the_original.pk}
