"""Account purge and data export under faults (docs/reliability.md fault tests 12 and 13,
docs/lifecycle.md): a real Celery worker SIGKILLed with its pool mid-purge, and mid-export;
another worker, handed the job by the reconciler once the dead one's lease ran out,
finishes it. Then every counter is exact (I3) and the archive holds each row once."""

import io
import json
import time
import zipfile
from datetime import timedelta

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from friendships.models import Friendship
from lifecycle import services
from lifecycle.models import AccountDeletion, DataExport
from messaging import services as messaging_services
from messaging.models import Message
from newsfeeds.models import NewsFeed
from notifications.models import Notification
from tests.conftest import authenticate
from tests.factories import DEFAULT_PASSWORD, FriendshipFactory, TweetFactory, UserFactory
from tests.integration.conftest import wait_until
from tests.integration.invariants import assert_counters_exact
from tweets import services as tweet_services
from tweets.models import Comment, Like, Tweet

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = 2


def worker_env() -> dict[str, str]:
    """Small batches (many steps to die in), a short lease (a quick hand-over), and this
    test's media and exports folders."""
    return {
        "ACCOUNT_PURGE_BATCH_SIZE": "3",
        "DATA_EXPORT_BATCH_SIZE": "2",
        "LIFECYCLE_LEASE_SECONDS": str(LEASE_SECONDS),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "EXPORTS_ROOT": str(settings.STORAGES["exports"]["OPTIONS"]["location"]),
    }


def hand_over() -> None:
    """What beat's reconciler does once the dead worker's lease ran out."""
    time.sleep(LEASE_SECONDS + 0.5)
    assert services.resume(older_than=timedelta(0)) >= 1


def busy_life():
    """A victim with follows both ways, tweets others like, retweet and comment on, likes
    and comments of theirs on others' tweets, and a conversation."""
    victim = UserFactory(username="victim")
    others = [UserFactory() for _ in range(6)]
    for other in others:
        FriendshipFactory(follower=other, followee=victim)
        FriendshipFactory(follower=victim, followee=other)
    theirs = [TweetFactory(user=other, text=f"by {other.username}") for other in others]
    for n in range(20):
        tweet = TweetFactory(user=victim, text=f"victim {n}")
        liker = others[n % len(others)]
        tweet_services.like_tweet(user=liker, tweet_id=tweet.pk)
        if n % 3 == 0:
            tweet_services.retweet(user=liker, tweet_id=tweet.pk)
            tweet_services.create_comment(author=liker, tweet_id=tweet.pk, text="nice")
    for tweet in theirs:
        tweet_services.like_tweet(user=victim, tweet_id=tweet.pk)
        tweet_services.retweet(user=victim, tweet_id=tweet.pk)
        comment = tweet_services.create_comment(author=victim, tweet_id=tweet.pk, text="hi")
        tweet_services.like_comment(user=tweet.user, comment_id=comment.pk)
    conversation, _ = messaging_services.get_or_create_conversation(
        user=others[0], username="victim"
    )
    messaging_services.send_message(sender=victim, conversation=conversation, text="bye")
    return victim, others


def test_purge_resumes_after_the_worker_is_killed(start_worker):
    victim, others = busy_life()
    client = authenticate(APIClient(), victim)
    doomed = start_worker(**worker_env())

    response = client.delete("/api/v1/me/", {"password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 202

    def started():
        return AccountDeletion.objects.filter(user=victim).exclude(step="").first()

    wait_until(started, 30, 0.005, "the purge's first batch")
    doomed.stop(graceful=False)  # SIGKILL, main process and pool alike
    deletion = AccountDeletion.objects.get(user=victim)
    assert deletion.status == AccountDeletion.PENDING, "purged before the kill: nothing tested"
    assert deletion.lease_until is not None  # the dead worker's lease

    start_worker(**worker_env())
    hand_over()
    wait_until(
        lambda: AccountDeletion.objects.get(user=victim).status == AccountDeletion.DONE,
        60,
        0.1,
        "the purge to finish",
    )

    assert not Tweet.objects.filter(user=victim).exists()
    assert not Tweet.objects.filter(retweet_of__user=victim).exists()
    assert not Like.objects.filter(user=victim).exists()
    assert not Comment.objects.filter(user=victim).exists()
    assert not Friendship.objects.filter(follower=victim).exists()
    assert not Friendship.objects.filter(followee=victim).exists()
    assert not NewsFeed.objects.filter(user=victim).exists()
    assert not Notification.objects.filter(actor=victim).exists()
    assert not Message.objects.filter(sender=victim).exists()
    assert_counters_exact()
    for other in others:
        other.refresh_from_db()
        assert (other.followers_count, other.following_count) == (0, 0)
        assert other.tweets_count == 1  # their retweets of the victim's tweets went


def test_export_resumes_after_the_worker_is_restarted(start_worker):
    owner = UserFactory(username="owner")
    texts = {f"tweet {n}" for n in range(40)}
    for text in sorted(texts):
        TweetFactory(user=owner, text=text)
    client = authenticate(APIClient(), owner)
    doomed = start_worker(**worker_env())

    export_id = client.post("/api/v1/me/exports/").json()["id"]
    wait_until(
        lambda: DataExport.objects.filter(pk=export_id, pages__gte=2).exists(),
        30,
        0.005,
        "the export's first pages",
    )
    doomed.stop(graceful=False)
    export = DataExport.objects.get(pk=export_id)
    assert export.status == DataExport.RUNNING, "built before the kill: nothing tested"
    assert 0 <= export.progress < 100

    start_worker(**worker_env())
    hand_over()
    body = wait_until(
        lambda: (lambda b: b if b["status"] == "done" else None)(
            client.get(f"/api/v1/me/exports/{export_id}/").json()
        ),
        60,
        0.1,
        "the export to finish",
    )

    assert body["progress"] == 100
    response = client.get(body["download_url"])
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    tweets = json.loads(archive.read("tweets.json"))
    assert sorted(tweet["text"] for tweet in tweets) == sorted(texts)  # each once
