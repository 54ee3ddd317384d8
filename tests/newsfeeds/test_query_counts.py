"""A feed page costs a fixed number of SQL queries, whatever its size and however many
accounts the reader follows (CONTRIBUTING.md: exact counts, at one item and at a full page;
issue 12: at most 4 warm, authentication included, at most one more cold)."""

import pytest
from django.conf import settings

from accounts.models import User
from friendships.models import Friendship
from tests.factories import FriendshipFactory, RetweetFactory, TweetFactory, UserFactory
from tests.newsfeeds.conftest import FEED
from tweets import services

pytestmark = pytest.mark.django_db

# Warm (the feed and its tweets cached in Redis): 1 the JWT's user, 1 the page's counters,
# flags and rendering stamps with the originals joined (tweets.payloads). The pulled ids
# (large accounts' tweets) cost 1 more only for a reader who follows a large account, or
# when no cached feed says whether they do. Cold adds the pushed ids from the table (the
# feed cache is rebuilt, knowing whether the reader pulls) and the photos, hashtags and
# mentions of the tweets not yet rendered.
WARM = 2
PULLED = 1
COLD_FEED = 1
COLD_TWEETS = 1


def pulled(follows_large: bool) -> int:
    return PULLED if follows_large or not settings.REDIS_URL else 0


def warm_queries(follows_large: bool = False) -> int:
    # Without Redis there is no cache: every page is cold.
    cold = 0 if settings.REDIS_URL else COLD_FEED + COLD_TWEETS
    return WARM + pulled(follows_large) + cold


def cold_queries(follows_large: bool = False) -> int:
    return WARM + pulled(follows_large) + COLD_FEED + COLD_TWEETS


@pytest.fixture
def reader(settings):
    """A reader whose feed holds 105 varied tweets of one followed account: plain ones,
    with hashtags and mentions, retweets (the follow's backfill brings them all in)."""
    settings.NEWSFEED_BACKFILL = 200
    reader, author, friend = UserFactory.create_batch(3)
    for index in range(35):
        TweetFactory(user=author, text=f"#tag{index % 3} hello @{friend.username}")
        RetweetFactory(user=author, retweet_of=TweetFactory(user=friend))
        TweetFactory(user=author)
    FriendshipFactory(follower=reader, followee=author)
    return reader


def add_followees(reader, count: int) -> None:
    """`count` more followed accounts, made in two queries (counters untouched: the feed
    read does not use them)."""
    users = User.objects.bulk_create(
        [
            User(username=f"followee{index}", email=f"followee{index}@example.com")
            for index in range(count)
        ]
    )
    Friendship.objects.bulk_create([Friendship(follower=reader, followee=user) for user in users])


def follow_a_large_account(reader, settings) -> None:
    """`reader` follows an account whose last tweet was pulled, not fanned out."""
    star = UserFactory()
    threshold, settings.NEWSFEED_CELEBRITY_THRESHOLD = settings.NEWSFEED_CELEBRITY_THRESHOLD, 0
    TweetFactory(user=star)
    settings.NEWSFEED_CELEBRITY_THRESHOLD = threshold
    Friendship.objects.create(follower=reader, followee=star)


@pytest.mark.parametrize("follows_large", [False, True], ids=["no-large", "large"])
@pytest.mark.parametrize("followees", [1, 500])
@pytest.mark.parametrize("page_size", [1, 100])
def test_feed_page_query_count_is_fixed(
    reader, followees, page_size, follows_large, settings, make_auth_client,
    django_assert_num_queries,
):  # fmt: skip
    add_followees(reader, max(0, followees - 1 - follows_large))
    if follows_large:  # one of the followees (a second one beside the reader's author at 1)
        follow_a_large_account(reader, settings)
    assert Friendship.objects.filter(follower=reader).count() == max(followees, 1 + follows_large)
    client = make_auth_client(reader)

    with django_assert_num_queries(cold_queries(follows_large)):
        cold = client.get(FEED, {"page_size": page_size})  # with Redis, fills both caches
    with django_assert_num_queries(warm_queries(follows_large)):
        warm = client.get(FEED, {"page_size": page_size})

    assert warm.status_code == 200
    assert len(warm.json()["results"]) == page_size
    assert warm.json()["next"] is not None
    assert warm.json() == cold.json()


def test_next_page_query_count_is_fixed(reader, make_auth_client, django_assert_num_queries):
    client = make_auth_client(reader)
    first = client.get(FEED, {"page_size": 20}).json()

    # The ids come from the cached feed; the page's tweets are rendered for the first time.
    expected = warm_queries() + (COLD_TWEETS if settings.REDIS_URL else 0)
    with django_assert_num_queries(expected):
        response = client.get(first["next"])
    with django_assert_num_queries(warm_queries()):
        again = client.get(first["next"])

    assert [item["id"] for item in response.json()["results"]] == sorted(
        (item["id"] for item in response.json()["results"]), reverse=True
    )
    assert len(response.json()["results"]) == 20
    assert again.json() == response.json()


def test_a_feed_page_of_quotes_and_replies_costs_the_same(
    make_auth_client, django_assert_num_queries
):
    """A followed author's quotes (of a friend's tweets with tags and mentions), replies that
    quote, and retweets of quotes, their nested quotes hydrated with the page: the same
    queries as any feed page, cold and warm."""
    reader, author, friend = UserFactory.create_batch(3)
    for index in range(12):
        theirs = TweetFactory(user=friend, text=f"#tag{index} @{reader.username}")
        plain = TweetFactory(user=author)
        mine = services.create_tweet(author=author, text="q", quote_of_id=theirs.pk)
        services.create_tweet(author=author, text="r", in_reply_to_id=plain.pk, quote_of_id=mine.pk)
        RetweetFactory(user=author, retweet_of=mine)
    FriendshipFactory(follower=reader, followee=author)
    client = make_auth_client(reader)

    with django_assert_num_queries(cold_queries()):
        cold = client.get(FEED, {"page_size": 20})
    with django_assert_num_queries(warm_queries()):
        warm = client.get(FEED, {"page_size": 20})

    assert warm.json() == cold.json()
    items = warm.json()["results"]
    assert len(items) == 20
    quoting = [item for item in items if item["quote_of"] or item["text"] == ""]
    assert len(quoting) == 15  # of each 4 items, all but the plain tweet
    assert all((item["retweet_of"] or item)["quote_of"] for item in quoting)
