"""The hybrid model: large accounts are not fanned out, their tweets are pulled at read
time. Whatever the threshold, a feed read returns the same items in the same order."""

from datetime import timedelta

import pytest
from django.utils import timezone

from newsfeeds import cache
from newsfeeds.models import Fanout, NewsFeed
from tests.factories import FriendshipFactory, RetweetFactory, TweetFactory, UserFactory
from tests.newsfeeds.conftest import feed_ids, walk_feed

pytestmark = pytest.mark.django_db

EVERYONE_PULLED = 0  # every author counts as large: nothing is fanned out
EVERYONE_PUSHED = 10**9  # nobody is large: everything is fanned out


@pytest.fixture(params=[EVERYONE_PULLED, EVERYONE_PUSHED], ids=["pull", "push"])
def threshold(request, settings):
    settings.NEWSFEED_CELEBRITY_THRESHOLD = request.param
    return request.param


@pytest.fixture
def timeline(threshold, settings, committed, time_machine):
    """The same story under each threshold: follows, tweets before and after them, a
    retweet, an unfollow, a deletion. Returns (reader, expected feed ids, newest first)."""
    settings.NEWSFEED_BACKFILL = 2
    start = timezone.now()

    def at(seconds: int) -> None:
        time_machine.move_to(start + timedelta(seconds=seconds), tick=False)

    reader, star, friend, retweeter, dropped = UserFactory.create_batch(5)
    at(1)
    with committed():
        s1, s2, s3 = TweetFactory.create_batch(3, user=star)  # s1 is beyond the backfill
        TweetFactory(user=dropped)  # leaves with the unfollow
        own1 = TweetFactory(user=reader)
    at(2)
    with committed():
        for followee in (star, friend, retweeter, dropped):
            FriendshipFactory(follower=reader, followee=followee)
    at(3)
    with committed():
        s4 = TweetFactory(user=star)
        f1 = TweetFactory(user=friend)
        r1 = RetweetFactory(user=retweeter, retweet_of=s1)
        gone = TweetFactory(user=friend)
        TweetFactory(user=dropped)
        own2 = TweetFactory(user=reader)
        TweetFactory(user=UserFactory())  # a stranger's tweet never shows
    at(4)
    with committed():
        from friendships.services import unfollow_user
        from tweets.services import delete_tweet

        unfollow_user(follower=reader, username=dropped.username)
        delete_tweet(actor=friend, tweet_id=gone.pk)

    statuses = set(Fanout.objects.values_list("status", flat=True))
    assert statuses == ({Fanout.SKIPPED} if threshold == EVERYONE_PULLED else {Fanout.DONE})
    expected = [own2.pk, r1.pk, f1.pk, s4.pk, own1.pk, s3.pk, s2.pk]
    return reader, expected


def test_feed_is_the_same_whatever_the_threshold(timeline, make_auth_client):
    reader, expected = timeline
    client = make_auth_client(reader)

    assert feed_ids(client) == expected
    assert walk_feed(client, page_size=2) == expected
    assert walk_feed(client, page_size=3) == expected


def test_feed_pages_backwards_the_same_whatever_the_threshold(timeline, make_auth_client):
    reader, expected = timeline
    client = make_auth_client(reader)
    last = client.get("/api/v1/newsfeed/", {"page_size": 3, "cursor": ""}).json()
    while last["next"]:
        last = client.get(last["next"]).json()

    ids: list[int] = [item["id"] for item in last["results"]]
    url = last["previous"]
    while True:
        body = client.get(url).json()
        if not body["results"]:
            break
        ids = [item["id"] for item in body["results"]] + ids
        url = body["previous"]
    assert ids == expected


def test_author_crossing_the_threshold_keeps_the_feed_complete(
    settings, committed, make_auth_client
):
    settings.NEWSFEED_CELEBRITY_THRESHOLD = 2
    star, reader, late_fan = UserFactory.create_batch(3)
    FriendshipFactory(follower=reader, followee=star)
    with committed():
        pushed = TweetFactory.create_batch(2, user=star)
    FriendshipFactory(follower=UserFactory(), followee=star)  # now 2 followers: large
    star.refresh_from_db()
    with committed():
        pulled = TweetFactory.create_batch(2, user=star)
        mine = TweetFactory(user=reader)

    assert {Fanout.objects.get(tweet=t).status for t in pushed} == {Fanout.DONE}
    assert {Fanout.objects.get(tweet=t).status for t in pulled} == {Fanout.SKIPPED}
    assert not NewsFeed.objects.filter(tweet__in=pulled).exclude(user=star).exists()
    expected = [mine.pk, pulled[1].pk, pulled[0].pk, pushed[1].pk, pushed[0].pk]
    client = make_auth_client(reader)
    assert feed_ids(client) == expected
    assert walk_feed(client, page_size=2) == expected

    # A follower who arrives later gets the backfill, and the same tweets.
    with committed():
        FriendshipFactory(follower=late_fan, followee=star)
    assert walk_feed(make_auth_client(late_fan), page_size=2) == expected[1:]


def test_a_cached_feed_pulls_from_an_author_who_became_large(
    feed_redis, settings, committed, make_auth_client, django_assert_num_queries
):
    """A cached feed knows its reader pulls nothing (no query for it); an author's first
    pulled tweet drops that knowledge for each follower, so the tweet shows at once."""
    settings.NEWSFEED_CELEBRITY_THRESHOLD = 2
    star, reader = UserFactory.create_batch(2)
    with committed():
        FriendshipFactory(follower=reader, followee=star)
        pushed = TweetFactory(user=star)
    client = make_auth_client(reader)
    assert feed_ids(client) == [pushed.pk]  # cached: the reader pulls nothing
    assert feed_redis.get(cache.pulls_key(reader.pk)) == b"0"
    with django_assert_num_queries(2):  # the user, the page's fields: no pulled query
        assert feed_ids(client) == [pushed.pk]

    FriendshipFactory(follower=UserFactory(), followee=star)  # 2 followers: large
    star.refresh_from_db()
    with committed():
        pulled = TweetFactory(user=star)

    assert Fanout.objects.get(tweet=pulled).status == Fanout.SKIPPED
    assert feed_redis.exists(cache.feed_key(reader.pk))  # the feed itself stays cached
    assert not feed_redis.exists(cache.pulls_key(reader.pk))
    assert feed_ids(client) == [pulled.pk, pushed.pk]
    assert walk_feed(client, page_size=1) == [pulled.pk, pushed.pk]
