"""GET /api/v1/newsfeed/ through HTTP: what enters and leaves a home timeline."""

import pytest

from newsfeeds.models import NewsFeed
from tests.factories import FriendshipFactory, RetweetFactory, TweetFactory, UserFactory
from tests.newsfeeds.conftest import FEED, feed_ids, walk_feed
from tests.shapes import error, page_link, tweet_json

pytestmark = pytest.mark.django_db


def link(direction: str, key: int, page_size: int | None = None) -> str:
    """A `next`/`previous` link as the API builds it (query parameters sorted)."""
    params = {"page_size": page_size} if page_size else {}
    return page_link(FEED, key, reverse=direction == "prev", **params)


def test_own_tweet_is_in_the_feed_before_fanout(make_auth_client):
    author = UserFactory()
    client = make_auth_client(author)

    # No on-commit work runs here: the author's row is written with the tweet itself.
    created = client.post("/api/v1/tweets/", {"text": "hello"}, format="json")
    assert created.status_code == 201

    response = client.get(FEED)
    assert response.status_code == 200
    tweet = author.tweets.get()
    assert response.json() == {
        "results": [tweet_json(tweet)],
        "next": None,
        "previous": link("prev", tweet.pk),
    }


def test_followers_get_a_tweet_through_the_fanout(make_auth_client, committed):
    author = UserFactory()
    followers = UserFactory.create_batch(3)
    for follower in followers:
        FriendshipFactory(follower=follower, followee=author)
    stranger = UserFactory()

    with committed():
        created = make_auth_client(author).post("/api/v1/tweets/", {"text": "hi"}, format="json")
    assert created.status_code == 201
    tweet = author.tweets.get()

    for follower in followers:
        response = make_auth_client(follower).get(FEED)
        assert response.status_code == 200
        assert response.json()["results"] == [tweet_json(tweet)]
    assert feed_ids(make_auth_client(stranger)) == []


def test_followers_do_not_see_a_tweet_before_its_fanout_ran(make_auth_client):
    author, follower = UserFactory(), UserFactory()
    FriendshipFactory(follower=follower, followee=author)

    make_auth_client(author).post("/api/v1/tweets/", {"text": "hi"}, format="json")

    assert feed_ids(make_auth_client(follower)) == []


def test_retweets_reach_the_retweeters_followers(make_auth_client, committed):
    author, retweeter, follower = UserFactory(), UserFactory(), UserFactory()
    FriendshipFactory(follower=follower, followee=retweeter)
    original = TweetFactory(user=author)

    with committed():
        response = make_auth_client(retweeter).post(f"/api/v1/tweets/{original.pk}/retweet/")
    assert response.status_code == 200

    retweet = retweeter.tweets.get()
    response = make_auth_client(follower).get(FEED)
    assert response.status_code == 200
    assert response.json()["results"] == [
        tweet_json(retweet, retweet_of=tweet_json(original)),
    ]
    # The retweeter's own feed has it too, flagged as retweeted by them.
    assert feed_ids(make_auth_client(retweeter)) == [retweet.pk]


def test_follow_backfills_the_followees_recent_tweets(make_auth_client, committed, settings):
    settings.NEWSFEED_BACKFILL = 2
    reader, author = UserFactory(), UserFactory()
    _old, middle, new = TweetFactory.create_batch(3, user=author)
    own = TweetFactory(user=reader)
    client = make_auth_client(reader)
    assert feed_ids(client) == [own.pk]  # the feed is read (and cached) before the follow

    with committed():
        assert client.post(f"/api/v1/users/{author.username}/follow/").status_code == 200

    assert feed_ids(client) == [own.pk, new.pk, middle.pk]


def test_follow_backfills_retweets_too(make_auth_client, committed):
    reader, retweeter = UserFactory(), UserFactory()
    retweet = RetweetFactory(user=retweeter)

    with committed():
        make_auth_client(reader).post(f"/api/v1/users/{retweeter.username}/follow/")

    assert feed_ids(make_auth_client(reader)) == [retweet.pk]


def test_unfollow_takes_the_followees_tweets_out(make_auth_client, committed):
    reader, author, other = UserFactory(), UserFactory(), UserFactory()
    FriendshipFactory(follower=reader, followee=author)
    FriendshipFactory(follower=reader, followee=other)
    with committed():
        first = TweetFactory(user=author)
        kept = TweetFactory(user=other)
        second = RetweetFactory(user=author, retweet_of=TweetFactory(user=other))
    client = make_auth_client(reader)
    assert feed_ids(client)[:3] == [second.pk, second.retweet_of_id, kept.pk]
    assert first.pk in feed_ids(client)

    with committed():
        assert client.delete(f"/api/v1/users/{author.username}/follow/").status_code == 200

    assert feed_ids(client) == [second.retweet_of_id, kept.pk]
    assert not NewsFeed.objects.filter(user=reader, author=author).exists()


def test_deleted_tweet_leaves_every_feed(make_auth_client, committed):
    author, retweeter = UserFactory(), UserFactory()
    readers = UserFactory.create_batch(2)
    for reader in readers:
        FriendshipFactory(follower=reader, followee=author)
        FriendshipFactory(follower=reader, followee=retweeter)
    with committed():
        doomed = TweetFactory(user=author)
        kept = TweetFactory(user=author)
        retweet = RetweetFactory(user=retweeter, retweet_of=doomed)
    clients = [make_auth_client(reader) for reader in readers]
    for client in clients:  # read first: with Redis, these feeds are now cached
        assert feed_ids(client) == [retweet.pk, kept.pk, doomed.pk]

    with committed():
        assert make_auth_client(author).delete(f"/api/v1/tweets/{doomed.pk}/").status_code == 204

    for client in clients:
        assert feed_ids(client) == [kept.pk]
    assert feed_ids(make_auth_client(author)) == [kept.pk]
    assert feed_ids(make_auth_client(retweeter)) == []
    assert not NewsFeed.objects.filter(tweet_id__in=[doomed.pk, retweet.pk]).exists()


def test_next_never_repeats_or_skips_while_tweets_arrive(make_auth_client, committed):
    reader, author = UserFactory(), UserFactory()
    FriendshipFactory(follower=reader, followee=author)
    with committed():
        t1, t2, t3, t4, t5 = TweetFactory.create_batch(5, user=author)
    client = make_auth_client(reader)

    first = client.get(FEED, {"page_size": 2}).json()
    assert [item["id"] for item in first["results"]] == [t5.pk, t4.pk]
    assert first["next"] == link("next", t4.pk, page_size=2)
    assert first["previous"] == link("prev", t5.pk, page_size=2)

    with committed():  # new tweets arrive while the reader scrolls
        t6, t7, t8 = TweetFactory.create_batch(3, user=author)

    second = client.get(first["next"]).json()
    assert [item["id"] for item in second["results"]] == [t3.pk, t2.pk]
    third = client.get(second["next"]).json()
    assert [item["id"] for item in third["results"]] == [t1.pk]
    assert third["next"] is None

    # Pull-to-refresh from the first page: what arrived since, nearest first.
    newer = client.get(first["previous"]).json()
    assert [item["id"] for item in newer["results"]] == [t7.pk, t6.pk]
    assert newer["next"] == link("next", t6.pk, page_size=2)
    newest = client.get(newer["previous"]).json()
    assert [item["id"] for item in newest["results"]] == [t8.pk]
    assert client.get(newest["previous"]).json() == {
        "results": [],
        "next": None,
        "previous": link("prev", t8.pk, page_size=2),
    }
    assert walk_feed(client, page_size=3) == [t.pk for t in (t8, t7, t6, t5, t4, t3, t2, t1)]


def test_newsfeed_needs_authentication(api_client):
    response = api_client.get(FEED)
    assert response.status_code == 401
    assert response.json() == error("not_authenticated")


def test_tampered_cursor_is_400(auth_client):
    response = auth_client.get(FEED, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.json() == error("invalid_cursor")
