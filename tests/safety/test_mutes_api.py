"""Mutes (docs/api.md "Blocks and mutes"): POST/DELETE /users/{u}/mute/ with an
optional `duration`, GET /mutes/; a mute hides the muted user's tweets and retweets from
the muter's newsfeed (table, cache, and large accounts pulled at read time) and their
notifications to the muter, silently, and a timed mute ends by itself."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from core.redis import get_redis
from friendships.models import Friendship
from newsfeeds import cache
from notifications.models import Notification
from safety.models import Mute
from tests.factories import FriendshipFactory, RetweetFactory, TweetFactory, UserFactory
from tests.safety.conftest import ids, mute, usernames
from tests.shapes import ANY, error, profile_json, summary_json

pytestmark = pytest.mark.django_db

FEED = "/api/v1/newsfeed/"


def test_mute_answers_the_muted_profile_with_is_muting(alice, bob, alice_client):
    response = mute(alice_client, bob)

    assert response.status_code == 200
    bob.refresh_from_db()
    assert response.json() == profile_json(bob, is_muting=True)
    assert Mute.objects.get(muter=alice, muted=bob).expires_at is None


def test_mute_and_unmute_are_idempotent(alice, bob, alice_client):
    assert mute(alice_client, bob).json()["is_muting"] is True
    assert mute(alice_client, bob).json()["is_muting"] is True
    assert Mute.objects.count() == 1

    first, second = mute(alice_client, bob, "delete"), mute(alice_client, bob, "delete")

    assert first.status_code == second.status_code == 200
    assert second.json()["is_muting"] is False
    assert Mute.objects.count() == 0


def test_mute_self_is_400(alice, alice_client):
    response = mute(alice_client, alice)

    assert response.status_code == 400
    assert response.json() == error("cannot_mute_self")


@pytest.mark.parametrize("duration", [0, -5, "soon"])
def test_mute_with_a_bad_duration_is_400(alice, bob, alice_client, duration):
    response = mute(alice_client, bob, duration=duration)

    assert response.status_code == 400
    assert response.json() == error("validation_error", fields={"duration": [ANY]})


def test_mute_is_silent_and_keeps_the_follows(alice, bob, alice_client, bob_client):
    FriendshipFactory(follower=alice, followee=bob)
    mute(alice_client, bob)

    assert Friendship.objects.filter(follower=alice, followee=bob).exists()
    assert bob_client.get("/api/v1/users/alice/").json()["is_muting"] is False
    assert bob_client.get("/api/v1/users/alice/").json()["follows_you"] is True
    assert Notification.objects.filter(recipient=bob, verb="muted").count() == 0


def feed_story(alice, bob, committed):
    """Alice follows Bob and Carol; Bob tweets and retweets Carol; Carol retweets Bob."""
    carol = UserFactory(username="carol")
    FriendshipFactory(follower=alice, followee=bob)
    FriendshipFactory(follower=alice, followee=carol)
    with committed():
        bobs = TweetFactory(user=bob)
        carols = TweetFactory(user=carol)
        bob_retweets = RetweetFactory(user=bob, retweet_of=carols)
        carol_retweets = RetweetFactory(user=carol, retweet_of=bobs)
    return {
        "all": [carol_retweets.pk, bob_retweets.pk, carols.pk, bobs.pk],
        "unmuted": [carol_retweets.pk, carols.pk],
    }


@pytest.fixture(params=[0, 10**9], ids=["pulled", "pushed"])
def threshold(request, settings):
    """Every author a large account (their tweets pulled at read time), or none."""
    settings.NEWSFEED_CELEBRITY_THRESHOLD = request.param
    return request.param


def test_muted_users_tweets_and_retweets_leave_the_feed_until_unmuted(
    threshold, alice, bob, alice_client, committed
):
    story = feed_story(alice, bob, committed)
    assert ids(alice_client.get(FEED)) == story["all"]  # also caches the feed, with Redis

    with committed():
        mute(alice_client, bob)
    assert ids(alice_client.get(FEED)) == story["unmuted"]
    assert ids(alice_client.get(FEED)) == story["unmuted"]  # from the rebuilt cache

    with committed():
        mute(alice_client, bob, "delete")
    assert ids(alice_client.get(FEED)) == story["all"]


def test_new_tweets_of_a_muted_user_stay_out_of_the_feed(
    threshold, alice, bob, alice_client, committed
):
    story = feed_story(alice, bob, committed)
    with committed():
        mute(alice_client, bob)
    assert ids(alice_client.get(FEED)) == story["unmuted"]

    with committed():
        later = TweetFactory(user=bob)

    assert ids(alice_client.get(FEED)) == story["unmuted"]
    with committed():
        mute(alice_client, bob, "delete")
    assert ids(alice_client.get(FEED)) == [later.pk, *story["all"]]


def test_a_timed_mute_ends_by_itself(threshold, alice, bob, alice_client, committed, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    story = feed_story(alice, bob, committed)
    with committed():
        assert mute(alice_client, bob, duration=120).status_code == 200
    assert ids(alice_client.get(FEED)) == story["unmuted"]
    assert usernames(alice_client.get("/api/v1/mutes/")) == ["bob"]
    client = get_redis()
    if client is not None:
        # The feed cached without Bob's tweets lives no longer than the mute.
        assert 0 < client.ttl(cache.feed_key(alice.pk)) <= 121

    time_machine.move_to(start + timedelta(seconds=121), tick=False)
    if client is not None:
        client.delete(cache.feed_key(alice.pk))  # what Redis does at the TTL, in real time

    assert ids(alice_client.get(FEED)) == story["all"]
    assert usernames(alice_client.get("/api/v1/mutes/")) == []
    assert alice_client.get("/api/v1/users/bob/").json()["is_muting"] is False


def test_a_cached_feed_without_timed_mutes_keeps_the_usual_ttl(alice, bob, alice_client, committed):
    client = get_redis()
    if client is None:
        pytest.skip("REDIS_URL is not set: no feed cache to test")
    feed_story(alice, bob, committed)
    with committed():
        mute(alice_client, bob)

    alice_client.get(FEED)

    assert client.ttl(cache.feed_key(alice.pk)) > django_settings.NEWSFEED_CACHE_TTL - 60


def test_muted_user_creates_no_notifications_for_the_muter(alice, bob, alice_client, bob_client):
    tweet = TweetFactory(user=alice)
    mute(alice_client, bob)

    bob_client.post(f"/api/v1/tweets/{tweet.pk}/like/")
    bob_client.post(f"/api/v1/tweets/{tweet.pk}/comments/", {"text": "hey"})
    bob_client.post("/api/v1/tweets/", {"text": "hi @alice"})
    bob_client.post("/api/v1/users/alice/follow/")

    assert alice_client.get("/api/v1/notifications/").json()["results"] == []
    # The mute is one-way: Alice still notifies Bob.
    alice_client.post(f"/api/v1/tweets/{TweetFactory(user=bob).pk}/like/")
    assert Notification.objects.filter(recipient=bob, actor=alice).count() == 1


def test_notifications_come_again_when_a_timed_mute_ends(
    alice, bob, alice_client, bob_client, time_machine
):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    mute(alice_client, bob, duration=60)
    bob_client.post(f"/api/v1/tweets/{TweetFactory(user=alice).pk}/like/")
    assert Notification.objects.filter(recipient=alice).count() == 0

    time_machine.move_to(start + timedelta(seconds=61), tick=False)
    bob_client.post(f"/api/v1/tweets/{TweetFactory(user=alice).pk}/like/")

    assert Notification.objects.filter(recipient=alice, actor=bob).count() == 1


def test_mutes_lists_the_muted_users_most_recent_first(alice, alice_client, api_client):
    bob, carol = UserFactory(username="bob"), UserFactory(username="carol")
    mute(alice_client, bob)
    mute(alice_client, carol, duration=600)

    response = alice_client.get("/api/v1/mutes/")

    assert response.status_code == 200
    assert response.json()["results"] == [summary_json(carol), summary_json(bob)]
    assert api_client.get("/api/v1/mutes/").status_code == 401


def test_suggestions_leave_out_muted_users(alice, bob, alice_client):
    bob.followers_count = 5
    bob.save(update_fields=["followers_count"])
    assert "bob" in usernames(alice_client.get("/api/v1/users/suggestions/"))

    mute(alice_client, bob)

    assert "bob" not in usernames(alice_client.get("/api/v1/users/suggestions/"))
