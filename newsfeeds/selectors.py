"""The home timeline read path.

A page is the merge of two sources, walked with the same cursor (tweet ids, newest first;
the API's paginator pages the merge, `core.pagination.CursorPagination.paginate_keys`):
- pushed: the user's NewsFeed rows, read from the Redis sorted set when it covers the page,
  else from the table (and the cache rebuilt on a miss);
- pulled: recent tweets of followed large accounts, whose fan-out was skipped; asked of
  the database only for a reader who follows such an account, or is not known not to (the
  cached feed carries the answer, computed in its rebuild).
The page holds tweet ids; the view renders them (tweets.payloads.render_tweets).
"""

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from accounts.models import User
from core.pagination import Cursor, keyset
from core.redis import get_redis
from friendships.models import Friendship
from newsfeeds import cache
from newsfeeds.models import Fanout, NewsFeed
from safety.models import Block, Mute
from safety.selectors import mute_expiries, muting, next_mute_expiry
from tweets.models import Tweet


def _table_rows(user_id: int, cursor: Cursor | None) -> QuerySet:
    """The user's feed rows walked from `cursor`, with the paginator's own filter."""
    # Rows of authors the user mutes stay in the table (a mute may end) and are left out
    # here, in the same query, as of the time of the read.
    rows = NewsFeed.objects.filter(~muting(user_id, OuterRef("author_id")), user_id=user_id)
    return keyset(rows, ("-tweet_id",), cursor)


def _table_ids(user_id: int, cursor: Cursor | None, limit: int) -> list[int]:
    return list(_table_rows(user_id, cursor).values_list("tweet_id", flat=True)[:limit])


def _pulls(user_id: int) -> Exists:
    """EXISTS a follow of an account with a skipped fan-out: the reader has tweets to pull
    (a superset of `_pulled_ids`' condition, so False means that query finds nothing)."""
    skipped = Fanout.objects.filter(status=Fanout.SKIPPED, author_id=OuterRef("followee_id"))
    return Exists(Friendship.objects.filter(Exists(skipped), follower_id=user_id))


def _rebuild(user_id: int, limit: int) -> tuple[list[int], bool | None]:
    """Rebuild the cached feed from the table; return its newest `limit` ids and whether
    the reader pulls. One query: the newest NEWSFEED_CACHE_SIZE + 1 ids, each row carrying
    when the reader's first timed mute ends and whether the reader follows a large
    account (constant subqueries, so no second round trip)."""
    size = settings.NEWSFEED_CACHE_SIZE
    first_end = Subquery(mute_expiries(muter_id=user_id).values("expires_at")[:1])
    rows = list(
        _table_rows(user_id, None)
        .annotate(mute_ends=first_end, pulls=_pulls(user_id))
        .values_list("tweet_id", "mute_ends", "pulls")[: max(size + 1, limit)]
    )
    newest = [tweet_id for tweet_id, _, _ in rows]
    # Built without muted authors' tweets, the cached feed must not outlive the first
    # mute to end: then it is rebuilt with them (no task ends a mute). An empty feed
    # carries no row to say when, so it asks; nor whether the reader pulls (not known).
    ends = rows[0][1] if rows else next_mute_expiry(muter_id=user_id)
    pulls = bool(rows[0][2]) if rows else None
    ttl = None if ends is None else max(1, int((ends - timezone.now()).total_seconds()) + 1)
    cache.store(user_id, newest[:size], complete=len(newest) <= size, ttl=ttl, pulls=pulls)
    return newest[:limit], pulls


def _pushed_ids(user_id: int, cursor: Cursor | None, limit: int) -> tuple[list[int], bool | None]:
    """The page's pushed ids and whether the reader pulls (None: not known)."""
    after, before, reverse = _bounds(cursor)
    ids, pulls = cache.read(user_id, after=after, before=before, reverse=reverse, limit=limit)
    if ids is not None:
        return ids, pulls
    if get_redis() is not None and cursor is None:
        # A miss on the first page: answer from the rebuild's read (enough for the page,
        # should the page be longer than a small NEWSFEED_CACHE_SIZE).
        return _rebuild(user_id, limit)
    return _table_ids(user_id, cursor, limit), pulls


def _pulled_ids(user_id: int, cursor: Cursor | None, limit: int) -> list[int]:
    """Tweets of followed accounts that were not fanned out (large accounts), posted since
    the follow: what the fan-out would have delivered. Older ones reach the feed as pushed
    rows through the follow's backfill, exactly as for any other account, so the feed is
    the same whatever the threshold. A semi-join of the reader's follows (unique index
    on follower, followee) with the partial index of skipped fan-outs per author; without
    authors the reader mutes now, nor retweets of users with a block with the reader
    (safety.selectors.muting and blocked_either_way, written out), nor replies to others
    whom the reader does not follow (newsfeeds.services.shown_replies, written out).

    Written as SQL because every page runs it and the ORM's compilation of its EXISTS
    costs ten times the query's own time in the database (about 1 ms of CPU a page): so it
    writes out the cursor's bounds too, where the table's rows use `keyset`."""
    # Only table names are formatted in (from the models); every value is a parameter.
    tables = {
        "fanout": Fanout._meta.db_table,
        "follow": Friendship._meta.db_table,
        "mute": Mute._meta.db_table,
        "block": Block._meta.db_table,
        "tweet": Tweet._meta.db_table,
    }
    sql = (  # noqa: S608
        "SELECT f.tweet_id FROM {fanout} f WHERE f.status = %s"
        " AND EXISTS (SELECT 1 FROM {follow} s WHERE s.follower_id = %s"
        " AND s.followee_id = f.author_id AND s.created_at <= f.created_at)"
        " AND NOT EXISTS (SELECT 1 FROM {mute} m WHERE m.muter_id = %s"
        " AND m.muted_id = f.author_id AND (m.expires_at IS NULL OR m.expires_at > %s))"
        " AND NOT EXISTS (SELECT 1 FROM {tweet} t JOIN {tweet} o ON o.id = t.retweet_of_id"
        " JOIN {block} b ON (b.blocker_id = %s AND b.blocked_id = o.user_id)"
        " OR (b.blocker_id = o.user_id AND b.blocked_id = %s) WHERE t.id = f.tweet_id)"
        " AND NOT EXISTS (SELECT 1 FROM {tweet} rt JOIN {tweet} p ON p.id = rt.in_reply_to_id"
        " WHERE rt.id = f.tweet_id AND p.user_id <> f.author_id AND p.user_id <> %s"
        " AND NOT EXISTS (SELECT 1 FROM {follow} pf WHERE pf.follower_id = %s"
        " AND pf.followee_id = p.user_id))"
    ).format(**tables)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params: list = [Fanout.SKIPPED, user_id, user_id, now, user_id, user_id, user_id, user_id]
    after, before, reverse = _bounds(cursor)
    if after is not None:
        sql += " AND f.tweet_id < %s"
        params.append(after)
    if before is not None:
        sql += " AND f.tweet_id > %s"
        params.append(before)
    sql += f" ORDER BY f.tweet_id {'ASC' if reverse else 'DESC'} LIMIT %s"
    params.append(limit)
    with connection.cursor() as db:
        db.execute(sql, params)
        return [tweet_id for (tweet_id,) in db.fetchall()]


def _bounds(cursor: Cursor | None) -> tuple[int | None, int | None, bool]:
    """(after, before, reverse): the ids a walk from `cursor` stays below or above."""
    if cursor is None:
        return None, None, False
    key = cursor.position[0]
    return (None, key, True) if cursor.reverse else (key, None, False)


def list_feed_ids(*, user: User, cursor: Cursor | None, limit: int) -> list[int]:
    """Up to `limit` tweet ids of the user's home timeline in walk order from `cursor`, as
    `core.pagination.keyset` walks a queryset: both sources merged, without duplicates.
    The pulled source costs a query only for a reader not known to pull nothing (the
    cached feed says so: `newsfeeds.cache.pulls_key`)."""
    pushed, pulls = _pushed_ids(user.pk, cursor, limit)
    merged = set(pushed)
    if pulls is not False:
        merged.update(_pulled_ids(user.pk, cursor, limit))
    reverse = cursor is not None and cursor.reverse
    return sorted(merged, reverse=not reverse)[:limit]
