"""A feed page costs a fixed number of SQL queries, whatever its size and however many
accounts the reader follows (CONTRIBUTING.md: exact counts, at one item and at a full page)."""

import pytest
from django.conf import settings

from accounts.models import User
from friendships.models import Friendship
from tests.factories import FriendshipFactory, RetweetFactory, TweetFactory, UserFactory
from tests.newsfeeds.conftest import FEED

pytestmark = pytest.mark.django_db

# 1 the JWT's user, 1 the pulled ids (large accounts' tweets), 1 the page's tweets with
# authors and originals joined, 5 hydration: photos, hashtags, mentions, the reader's likes
# and retweets. The pushed ids add 1 more when they come from the table; with Redis, a
# warm feed answers them without SQL.
HYDRATED_PAGE = 8


def expected_queries() -> int:
    return HYDRATED_PAGE if settings.REDIS_URL else HYDRATED_PAGE + 1


@pytest.fixture
def reader(settings):
    """A reader whose feed holds 54 varied tweets of one followed account: plain ones,
    with hashtags and mentions, retweets (the follow's backfill brings them all in)."""
    settings.NEWSFEED_BACKFILL = 100
    reader, author, friend = UserFactory.create_batch(3)
    for index in range(18):
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


@pytest.mark.parametrize("followees", [1, 500])
@pytest.mark.parametrize("page_size", [1, 50])
def test_feed_page_query_count_is_fixed(
    reader, followees, page_size, make_auth_client, django_assert_num_queries
):
    add_followees(reader, followees - 1)
    assert Friendship.objects.filter(follower=reader).count() == followees
    client = make_auth_client(reader)
    client.get(FEED, {"page_size": page_size})  # with Redis, this builds the cached feed

    with django_assert_num_queries(expected_queries()):
        response = client.get(FEED, {"page_size": page_size})

    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    assert response.json()["next"] is not None


def test_next_page_query_count_is_fixed(reader, make_auth_client, django_assert_num_queries):
    client = make_auth_client(reader)
    first = client.get(FEED, {"page_size": 20}).json()

    with django_assert_num_queries(expected_queries()):
        response = client.get(first["next"])

    assert [item["id"] for item in response.json()["results"]] == sorted(
        (item["id"] for item in response.json()["results"]), reverse=True
    )
    assert len(response.json()["results"]) == 20
