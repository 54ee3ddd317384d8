"""The Redis feed cache: it answers exactly as the NewsFeed table would, stays correct past
its cap, and a Redis failure only makes reads slower, never different."""

import pytest

from core.redis import _client
from newsfeeds import cache
from newsfeeds.selectors import _table_ids
from tests.factories import FriendshipFactory, TweetFactory, UserFactory
from tests.newsfeeds.conftest import FEED, feed_ids, walk_feed

pytestmark = pytest.mark.django_db


def cached_ids(client, user) -> list[int]:
    return [int(member) for member in client.zrevrange(cache.feed_key(user.pk), 0, -1)]


def table_ids(user) -> list[int]:
    return _table_ids(user.pk, None, 10_000)


@pytest.fixture
def busy_reader(committed):
    """A reader following two authors, with eleven tweets in the feed."""
    reader, alice, bob = UserFactory.create_batch(3)
    FriendshipFactory(follower=reader, followee=alice)
    FriendshipFactory(follower=reader, followee=bob)
    with committed():
        for index in range(5):
            TweetFactory(user=alice, text=f"alice {index}")
            TweetFactory(user=bob, text=f"bob {index}")
        TweetFactory(user=reader)
    return reader


def test_cached_feed_reads_like_the_table(feed_redis, busy_reader, make_auth_client):
    client = make_auth_client(busy_reader)
    expected = table_ids(busy_reader)
    assert len(expected) == 11

    assert walk_feed(client, page_size=3) == expected  # the first page builds the cache
    assert cached_ids(feed_redis, busy_reader) == [*expected, cache.BOTTOM]
    assert walk_feed(client, page_size=3) == expected  # now read from Redis
    assert walk_feed(client, page_size=4) == expected

    cache.invalidate([busy_reader.pk])
    assert not feed_redis.exists(cache.feed_key(busy_reader.pk))
    assert walk_feed(client, page_size=4) == expected


def test_fanout_updates_cached_feeds_only(feed_redis, committed, make_auth_client):
    author, reading, idle = UserFactory.create_batch(3)
    FriendshipFactory(follower=reading, followee=author)
    FriendshipFactory(follower=idle, followee=author)
    assert feed_ids(make_auth_client(reading)) == []  # cached (empty, complete)

    with committed():
        tweet = TweetFactory(user=author)

    assert cached_ids(feed_redis, reading) == [tweet.pk, cache.BOTTOM]
    # Fan-out never creates a cached feed: a partial one would hide older tweets.
    assert not feed_redis.exists(cache.feed_key(idle.pk))
    assert feed_ids(make_auth_client(idle)) == [tweet.pk]


def test_cap_trims_the_cache_and_older_pages_come_from_the_table(
    feed_redis, settings, committed, make_auth_client
):
    settings.NEWSFEED_CACHE_SIZE = 3
    reader, author = UserFactory.create_batch(2)
    FriendshipFactory(follower=reader, followee=author)
    with committed():
        older = TweetFactory.create_batch(3, user=author)
    client = make_auth_client(reader)
    assert feed_ids(client) == [t.pk for t in reversed(older)]
    assert cached_ids(feed_redis, reader) == [*(t.pk for t in reversed(older)), cache.BOTTOM]

    with committed():
        newer = TweetFactory.create_batch(3, user=author)

    expected = [t.pk for t in reversed(older + newer)]
    assert cached_ids(feed_redis, reader) == expected[:3]  # the sentinel went first
    assert walk_feed(client, page_size=2) == expected
    assert walk_feed(client, page_size=4) == expected
    assert expected == table_ids(reader)


def test_previous_below_the_cached_range_comes_from_the_table(
    feed_redis, settings, committed, make_auth_client
):
    settings.NEWSFEED_CACHE_SIZE = 3
    reader, author = UserFactory.create_batch(2)
    FriendshipFactory(follower=reader, followee=author)
    with committed():
        t1, t2, t3, t4, t5, t6 = TweetFactory.create_batch(6, user=author)
    client = make_auth_client(reader)
    first = client.get(FEED, {"page_size": 2}).json()  # caches t6, t5, t4
    second = client.get(first["next"]).json()
    last = client.get(second["next"]).json()
    assert [item["id"] for item in last["results"]] == [t2.pk, t1.pk]

    back = client.get(last["previous"]).json()
    assert [item["id"] for item in back["results"]] == [t4.pk, t3.pk]
    back = client.get(back["previous"]).json()
    assert [item["id"] for item in back["results"]] == [t6.pk, t5.pk]


def test_redis_errors_fall_back_to_the_table(settings, committed, make_auth_client):
    """Runs with or without a real Redis: the feed client points at a closed port, so
    every cache read, write and removal fails; posting, following, deleting and reading
    still work, and the feed is the table's."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    _client.cache_clear()
    try:
        reader, author = UserFactory.create_batch(2)
        client = make_auth_client(reader)
        with committed():
            response = client.post(f"/api/v1/users/{author.username}/follow/")
        assert response.status_code == 200
        with committed():
            first, doomed, last = TweetFactory.create_batch(3, user=author)
            own = TweetFactory(user=reader)
        with committed():
            response = make_auth_client(author).delete(f"/api/v1/tweets/{doomed.pk}/")
        assert response.status_code == 204

        expected = [own.pk, last.pk, first.pk]
        assert walk_feed(client, page_size=2) == expected
        assert walk_feed(client, page_size=20) == expected
        assert table_ids(reader) == expected
    finally:
        _client.cache_clear()


def test_late_tweet_below_a_partly_cached_feed_is_not_cached(
    feed_redis, settings, committed, make_auth_client
):
    """A fan-out that arrives late, for a tweet older than the bottom of a feed cached only
    in part, must not open a gap: the cache would claim ids it never held."""
    settings.NEWSFEED_CACHE_SIZE = 3
    reader, author, slow = UserFactory.create_batch(3)
    FriendshipFactory(follower=reader, followee=author)
    FriendshipFactory(follower=reader, followee=slow)
    late = TweetFactory(user=slow)  # its fan-out has not run yet
    with committed():
        tweets = TweetFactory.create_batch(4, user=author)
    client = make_auth_client(reader)
    assert feed_ids(client, page_size=1) == [tweets[3].pk]  # caches the newest three
    with committed():  # a deletion leaves the cached feed below its cap
        make_auth_client(author).delete(f"/api/v1/tweets/{tweets[3].pk}/")
    assert cached_ids(feed_redis, reader) == [tweets[2].pk, tweets[1].pk]

    from newsfeeds.services import deliver_batch, dispatch_fanout

    with committed():
        for batch_id in dispatch_fanout(tweet_id=late.pk):
            deliver_batch(batch_id=batch_id)

    assert cached_ids(feed_redis, reader) == [tweets[2].pk, tweets[1].pk]
    expected = [tweets[2].pk, tweets[1].pk, tweets[0].pk, late.pk]
    assert walk_feed(client, page_size=2) == expected
    assert walk_feed(client, page_size=3) == expected
    assert expected == table_ids(reader)
