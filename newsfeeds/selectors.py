"""The home timeline read path.

A page is the merge of two sources, walked with the same keyset cursor (tweet ids):
- pushed: the user's NewsFeed rows, read from the Redis sorted set when it covers the page,
  else from the table (and the cache rebuilt on a miss);
- pulled: recent tweets of followed large accounts, whose fan-out was skipped.
Then the page is hydrated in a fixed number of queries, whatever its size or the number
of accounts followed.
"""

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import User
from core.pagination import Cursor, Page, paginate_keys
from core.redis import get_redis
from friendships.models import Friendship
from newsfeeds import cache
from newsfeeds.models import Fanout, NewsFeed
from safety.selectors import blocked_either_way, muting, next_mute_expiry
from tweets.models import Tweet
from tweets.selectors import TWEET_RELATED, hydrate_tweets


def _table_ids(user_id: int, after, before, reverse: bool, limit: int) -> list[int]:
    # Rows of authors the user mutes stay in the table (a mute may end) and are left out
    # here, in the same query, as of the time of the read.
    rows = NewsFeed.objects.filter(~muting(user_id, OuterRef("author_id")), user_id=user_id)
    if after is not None:
        rows = rows.filter(tweet_id__lt=after)
    if before is not None:
        rows = rows.filter(tweet_id__gt=before)
    rows = rows.order_by("tweet_id" if reverse else "-tweet_id")
    return list(rows.values_list("tweet_id", flat=True)[:limit])


def _pushed_ids(user_id: int, after, before, reverse: bool, limit: int) -> list[int]:
    ids = cache.read(user_id, after=after, before=before, reverse=reverse, limit=limit)
    if ids is not None:
        return ids
    if get_redis() is not None and after is None and before is None:
        # A miss on the first page: rebuild the cached feed from the table in one query,
        # and answer from what was just read (enough for the page, should the page be
        # longer than a small NEWSFEED_CACHE_SIZE).
        size = settings.NEWSFEED_CACHE_SIZE
        newest = _table_ids(user_id, None, None, False, max(size + 1, limit))
        # Built without muted authors' tweets, the cached feed must not outlive the first
        # mute to end: then it is rebuilt with them (no task ends a mute).
        ends = next_mute_expiry(muter_id=user_id)
        ttl = None if ends is None else max(1, int((ends - timezone.now()).total_seconds()) + 1)
        cache.store(user_id, newest[:size], complete=len(newest) <= size, ttl=ttl)
        return newest[:limit]
    return _table_ids(user_id, after, before, reverse, limit)


def _pulled_ids(user_id: int, after, before, reverse: bool, limit: int) -> list[int]:
    """Tweets of followed accounts that were not fanned out (large accounts), posted since
    the follow: what the fan-out would have delivered. Older ones reach the feed as pushed
    rows through the follow's backfill, exactly as for any other account, so the feed is
    the same whatever the threshold. A semi-join of the reader's follows (unique index
    on follower, followee) with the partial index of skipped fan-outs per author."""
    follows = Friendship.objects.filter(
        follower_id=user_id,
        followee_id=OuterRef("author_id"),
        created_at__lte=OuterRef("created_at"),
    )
    rows = Fanout.objects.filter(
        Exists(follows),
        ~muting(user_id, OuterRef("author_id")),
        ~blocked_either_way(user_id, OuterRef("tweet__retweet_of__user_id")),
        status=Fanout.SKIPPED,
    )
    if after is not None:
        rows = rows.filter(tweet_id__lt=after)
    if before is not None:
        rows = rows.filter(tweet_id__gt=before)
    rows = rows.order_by("tweet_id" if reverse else "-tweet_id")
    return list(rows.values_list("tweet_id", flat=True)[:limit])


def get_feed_page(*, user: User, cursor: Cursor | None, page_size: int) -> Page:
    """One page of the user's home timeline, hydrated (tweets in `page.items`)."""

    def fetch(after, before, reverse: bool, limit: int) -> list[int]:
        merged = set(_pushed_ids(user.pk, after, before, reverse, limit))
        merged.update(_pulled_ids(user.pk, after, before, reverse, limit))
        return sorted(merged, reverse=not reverse)[:limit]

    page = paginate_keys(
        fetch, key_of=lambda tweet_id: tweet_id, cursor=cursor, page_size=page_size
    )
    tweets = Tweet.objects.select_related(*TWEET_RELATED).in_bulk(page.items)
    # A tweet deleted between the two reads is simply absent from this page.
    page.items = [tweets[tweet_id] for tweet_id in page.items if tweet_id in tweets]
    hydrate_tweets(page.items, viewer=user)
    return page
