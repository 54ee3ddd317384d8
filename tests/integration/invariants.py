"""Invariants I3 (counters) and I4 (no phantoms) of docs/reliability.md, for the fault tests.

I1 (feeds) lives in feeds.py. Each helper reads the whole (small) test database and names
what is wrong, so a failing storm says which row drifted.
"""

from django.db.models import Count, F, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from accounts.models import User
from friendships.models import Friendship
from newsfeeds.models import NewsFeed
from tests.integration.feeds import cached_feed
from tweets.models import Comment, Like, Tweet


def _count(model, field: str) -> Coalesce:
    """COUNT(*) of `model` rows whose `field` is the outer row, as a subquery."""
    counted = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


# Each counter and the rows it counts: (model, counter, counted model, its foreign key).
COUNTERS = [
    (Tweet, "likes_count", Like, "tweet"),
    (Tweet, "retweets_count", Tweet, "retweet_of"),
    (Tweet, "comments_count", Comment, "tweet"),
    (Comment, "likes_count", Like, "comment"),
    (User, "tweets_count", Tweet, "user"),
    (User, "followers_count", Friendship, "followee"),
    (User, "following_count", Friendship, "follower"),
]


def assert_counters_exact() -> None:
    """I3: every denormalised count equals the COUNT(*) it stands for."""
    wrong = []
    for model, counter, counted, field in COUNTERS:
        rows = model.objects.annotate(rows=_count(counted, field)).exclude(**{counter: F("rows")})
        wrong += [
            f"{model.__name__} {pk}: {counter} {value}, rows {actual}"
            for pk, value, actual in rows.values_list("pk", counter, "rows")
        ]
    assert not wrong, f"counters off: {wrong}"


def assert_no_phantoms(reader_ids: list[int]) -> None:
    """I4: what a rolled-back (or later deleted) tweet left behind: no cached feed of these
    readers names a tweet that does not exist, and no feed row does either."""
    existing = set(Tweet.objects.values_list("pk", flat=True))
    for reader_id in reader_ids:
        cached = cached_feed(reader_id) or []
        phantoms = sorted(set(cached) - existing)
        assert not phantoms, f"cached feed of {reader_id} holds gone tweets {phantoms}"
    orphans = NewsFeed.objects.exclude(tweet_id__in=existing).count()
    assert orphans == 0, f"{orphans} feed rows of gone tweets"
