"""Blocks and mutes cost no query on lists: they are EXISTS subqueries inside each list's
own SQL. Every list is measured with a viewer who has no blocks or mutes, then with 500
of each (250 blocked by the viewer, 250 blocking the viewer, 500 muted), at page sizes 1
and 20: the counts are the same, and the ones each list's own tests pin."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import User
from notifications import services as notification_services
from notifications.models import Verb
from safety.models import Block, Mute
from tests.conftest import authenticate
from tests.factories import CommentFactory, FriendshipFactory, TweetFactory, UserFactory
from tweets import services as tweet_services

pytestmark = pytest.mark.django_db

# The JWT's user is the first query of each.
# Warm with Redis: the user, the page's fresh fields (the viewer follows no large account,
# as the cached feed knows); without Redis also the pulled ids, the table's ids and the
# tweets' attachments (docs/fanout.md "Rendering a page").
FEED = 2 if settings.REDIS_URL else 5
TWEETS_COLD = 0 if settings.REDIS_URL else 1
EXPECTED = {
    "newsfeed": FEED,
    # The owner (with the block check), the page's ids, its rendering (tweets.payloads:
    # fresh fields and flags; without Redis also the attachments of every tweet).
    "timeline": 4 + TWEETS_COLD,
    "hashtag": 3 + TWEETS_COLD,
    "search": 3 + TWEETS_COLD,
    "likes": 3,  # the tweet (with the block check), the page
    "comments": 3,
    "followers": 3,  # the user, the page
    "notifications": 2,
    "users": 2,  # the page (user search)
}


@pytest.fixture
def world(settings):
    settings.NEWSFEED_BACKFILL = 100
    viewer, owner, friend = (UserFactory(username=name) for name in ("viewer", "owner", "friend"))
    main = TweetFactory(user=owner, text="#topic searchword first")
    for n in range(24):
        TweetFactory(user=owner, text=f"#topic searchword {n} @friend")
        tweet_services.retweet(
            user=owner, tweet_id=TweetFactory(user=friend, text="#topic searchword").pk
        )
    for fan in UserFactory.create_batch(21):
        tweet_services.like_tweet(user=fan, tweet_id=main.pk)
        CommentFactory(tweet=main, user=fan)
        FriendshipFactory(follower=fan, followee=owner)
        notification_services.notify(recipient_id=viewer.pk, actor=fan, verb=Verb.FOLLOWED)
    FriendshipFactory(follower=viewer, followee=owner)  # the backfill fills the feed
    return {"viewer": viewer, "main": main}


def add_blocks_and_mutes(viewer, count: int = 500) -> None:
    others = User.objects.bulk_create(
        [User(username=f"other{n}", email=f"other{n}@example.com") for n in range(count)]
    )
    half = count // 2
    Block.objects.bulk_create(
        [Block(blocker=viewer, blocked=other) for other in others[:half]]
        + [Block(blocker=other, blocked=viewer) for other in others[half:]]
    )
    Mute.objects.bulk_create([Mute(muter=viewer, muted=other) for other in others])


def paths(world) -> dict[str, str]:
    main = world["main"].pk
    return {
        "newsfeed": "/api/v1/newsfeed/",
        "timeline": "/api/v1/users/owner/tweets/",
        "hashtag": "/api/v1/tweets/?hashtag=topic",
        "search": "/api/v1/tweets/?q=searchword",
        "likes": f"/api/v1/tweets/{main}/likes/",
        "comments": f"/api/v1/tweets/{main}/comments/",
        "followers": "/api/v1/users/owner/followers/",
        "notifications": "/api/v1/notifications/",
        "users": "/api/v1/users/?search=",
    }


def measure(client, django_assert_num_queries, world, label: str) -> None:
    for name, path in paths(world).items():
        separator = "&" if "?" in path else "?"
        for size in (1, 20):
            url = f"{path}{separator}page_size={size}"
            client.get(url)  # the newsfeed's first read builds the cached feed, with Redis
            where = f"{name}, {label}, page_size={size}"
            try:
                with django_assert_num_queries(EXPECTED[name]):
                    response = client.get(url)
            except pytest.fail.Exception as exc:
                pytest.fail(f"{where}: {exc}")
            assert response.status_code == 200, where
            assert len(response.json()["results"]) == size, where


def test_lists_cost_the_same_queries_with_500_blocks_and_mutes(world, django_assert_num_queries):
    client = authenticate(APIClient(), world["viewer"])
    measure(client, django_assert_num_queries, world, "no blocks or mutes")

    add_blocks_and_mutes(world["viewer"])

    measure(client, django_assert_num_queries, world, "500 blocks and 500 mutes")
