"""Newsfeed helpers for the integration tier: many followers fast, and invariant I1."""

import uuid

from django.conf import settings
from django.db.models import Count

from accounts.models import User
from core.redis import get_redis
from friendships.models import Friendship
from newsfeeds import cache
from newsfeeds.models import Fanout, FanoutBatch, NewsFeed
from tests.conftest import authenticate
from tests.factories import UserFactory
from tweets.models import Tweet


def make_author_with_followers(count: int) -> tuple[User, list[int]]:
    """An author followed by `count` new users. Returns the author and the follower ids in
    ascending order."""
    author = UserFactory()
    follower_ids = add_followers(author.pk, count)
    author.refresh_from_db()
    return author, follower_ids


def add_followers(user_id: int, count: int) -> list[int]:
    """`count` new followers of an existing user (bulk inserts, counters set to match).
    Returns their ids in ascending order."""
    tag = uuid.uuid4().hex[:8]
    followers = User.objects.bulk_create(
        [User(username=f"f_{tag}_{n}", password="!", following_count=1) for n in range(count)],
        batch_size=2000,
    )
    Friendship.objects.bulk_create(
        [Friendship(follower_id=follower.pk, followee_id=user_id) for follower in followers],
        batch_size=5000,
    )
    User.objects.filter(pk=user_id).update(followers_count=count)
    return sorted(follower.pk for follower in followers)


def post_tweet(client, author: User, text: str) -> int:
    """POST /api/v1/tweets/ as `author`; returns the new tweet's id."""
    response = authenticate(client, author).post("/api/v1/tweets/", {"text": text}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def fanout_status(tweet_id: int) -> str:
    return Fanout.objects.get(tweet_id=tweet_id).status


def batches_done(tweet_id: int) -> int:
    return FanoutBatch.objects.filter(fanout_id=tweet_id, done_at__isnull=False).count()


def feed_rows(tweet_id: int) -> list[tuple[int, int]]:
    """(row id, reader id) of every feed row of one tweet, in row order."""
    return list(NewsFeed.objects.filter(tweet_id=tweet_id).order_by("pk").values_list("pk", "user"))


def assert_feeds_complete() -> None:
    """Invariant I1 (docs/reliability.md): every committed tweet has its fan-out recorded; for
    every fanned-out tweet, exactly one feed row per follower of its author (the tests do
    not change follows after posting, so followers now are followers as of fan-out) plus
    the author; no gaps, no duplicates, nothing for anyone else."""
    unrecorded = list(Tweet.objects.filter(fanout__isnull=True).values_list("pk", flat=True))
    assert not unrecorded, f"tweets without a recorded fan-out: {unrecorded}"
    duplicates = list(
        NewsFeed.objects.values("user", "tweet").annotate(n=Count("pk")).filter(n__gt=1)[:10]
    )
    assert not duplicates, f"duplicate feed rows: {duplicates}"
    for fanout in Fanout.objects.exclude(status=Fanout.SKIPPED):
        assert fanout.status == Fanout.DONE, (
            f"fan-out of tweet {fanout.tweet_id} is {fanout.status}"
        )
        expected = set(
            Friendship.objects.filter(followee_id=fanout.author_id).values_list(
                "follower_id", flat=True
            )
        ) | {fanout.author_id}
        readers = list(
            NewsFeed.objects.filter(tweet_id=fanout.tweet_id).values_list("user_id", flat=True)
        )
        assert len(readers) == len(set(readers)), f"duplicates for tweet {fanout.tweet_id}"
        missing, extra = expected - set(readers), set(readers) - expected
        assert not missing, f"tweet {fanout.tweet_id} missing from {len(missing)} feeds"
        assert not extra, f"tweet {fanout.tweet_id} in {len(extra)} feeds it does not belong to"


def cached_feed(user_id: int) -> list[int] | None:
    """The user's cached feed ids, newest first (without the bottom sentinel), or None."""
    client = get_redis()
    key = cache.feed_key(user_id)
    if not client.exists(key):
        return None
    return [int(m) for m in client.zrevrange(key, 0, -1) if int(m) != cache.BOTTOM]


def assert_cache_agrees(user_ids: list[int]) -> None:
    """Each of these users' cached feeds exists and holds exactly the table's newest ids
    (up to the cache's cap)."""
    for user_id in user_ids:
        cached = cached_feed(user_id)
        assert cached is not None, f"feed of {user_id} is not cached"
        table = list(
            NewsFeed.objects.filter(user_id=user_id)
            .order_by("-tweet_id")
            .values_list("tweet_id", flat=True)[: settings.NEWSFEED_CACHE_SIZE]
        )
        assert cached == table, f"cache {cached} != table {table} for user {user_id}"
