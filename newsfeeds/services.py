"""Writes to home timelines: the author's own row, fan-out in batches, backfill on follow,
removal on unfollow and delete, and the reconciler that finishes lost fan-outs.

Lock order (tweets.services, docs/reliability.md): whatever inserts feed rows of a tweet
locks that tweet first (KEY SHARE: likes and retweets go on, a delete waits), so a fan-out
batch and a delete or unretweet of its tweet take turns instead of deadlocking, and no row
is inserted for a tweet whose delete commits meanwhile.
"""

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Window,
)
from django.db.models.functions import Mod, RowNumber
from django.utils import timezone

from accounts.models import User
from core import presence
from core.db import lock_rows
from core.realtime import send_now, send_to_users_on_commit
from core.tasks import enqueue_on_commit
from friendships.models import Friendship
from newsfeeds import cache, tasks
from newsfeeds.models import Fanout, FanoutBatch, NewsFeed
from safety.selectors import blocked_either_way, muting
from tweets.models import Tweet
from tweets.selectors import available

# A tweet that may be delivered: not hidden, its author (and a retweet's original and its
# author) not suspended (docs/safety.md).
AVAILABLE = available() & (Q(retweet_of__isnull=True) | available("retweet_of"))

logger = logging.getLogger(__name__)


def _is_large_account(author: User) -> bool:
    return author.followers_count >= settings.NEWSFEED_CELEBRITY_THRESHOLD


def record_tweet(*, tweet: Tweet, author: User) -> Fanout:
    """In the tweet's own transaction: put it in the author's feed and record its fan-out
    (pending, or skipped for a large account whose followers pull it at read time). The
    fan-out is enqueued after commit; if that message is lost the reconciler resends it."""
    NewsFeed.objects.create(user=author, tweet=tweet, author=author)
    status = Fanout.SKIPPED if _is_large_account(author) else Fanout.PENDING
    if (
        status == Fanout.SKIPPED
        and not Fanout.objects.filter(author=author, status=status).exists()
    ):
        # The author's first pulled tweet: its followers' cached feeds say they pull
        # nothing, and would hide it until rebuilt. Once per author (one query per
        # large account's tweet to know).
        transaction.on_commit(lambda: _forget_followers_pulls(author.pk))
    fanout = Fanout.objects.create(tweet=tweet, author=author, status=status)
    transaction.on_commit(lambda: cache.push(tweet.pk, [author.pk]))
    if status == Fanout.PENDING:
        enqueue_on_commit(tasks.fanout_tweet, tweet.pk)
    return fanout


def _forget_followers_pulls(author_id: int) -> None:
    followers = Friendship.objects.filter(followee_id=author_id).values_list(
        "follower_id", flat=True
    )
    cache.forget_pulls(followers.iterator(chunk_size=10_000))


def forget_tweets(*, tweet_ids: Sequence[int], deleted: bool = False) -> None:
    """Before tweets are deleted or withdrawn (their rows cascade or go): drop them from
    cached feeds after commit. With `deleted` (tweets.services deletes them), the readers
    whose feed held one, the author included, are also told after commit, if they have a
    socket open: `{"type": "tweet_deleted", "tweet_id"}` for each such tweet
    (docs/realtime.md). Followers of a large account, who pull its tweets at read time,
    hold no row and are not told, as they got no `newsfeed` event either."""
    if not tweet_ids:
        return
    readers_of: dict[int, list[int]] = defaultdict(list)
    rows = NewsFeed.objects.filter(tweet_id__in=tweet_ids).values_list("tweet_id", "user_id")
    for tweet_id, user_id in rows:
        readers_of[tweet_id].append(user_id)
    readers = sorted({user_id for users in readers_of.values() for user_id in users})
    ids = list(tweet_ids)
    transaction.on_commit(lambda: cache.remove(ids, readers))
    if deleted and readers:
        transaction.on_commit(lambda: _announce_deleted(readers_of, readers))


def _announce_deleted(readers_of: dict[int, list[int]], readers: list[int]) -> None:
    """One presence read for every reader, then one push per deleted tweet to all its
    online readers at once (a tweet and its retweets: one push each)."""
    online = set(presence.online_among(readers))
    for tweet_id, user_ids in sorted(readers_of.items()):
        listening = [user_id for user_id in user_ids if user_id in online]
        if listening:
            send_now(listening, {"type": "tweet_deleted", "tweet_id": tweet_id})


def withdraw_tweets(*, tweet_ids: Sequence[int]) -> None:
    """Moderation hid these tweets: delete their feed rows and those of their retweets
    (the rows stay out of every feed; lists leave the tweets out on read), and drop them
    from cached feeds after commit."""
    ids = list(tweet_ids) + list(
        Tweet.objects.filter(retweet_of_id__in=tweet_ids).values_list("pk", flat=True)
    )
    forget_tweets(tweet_ids=ids)
    NewsFeed.objects.filter(tweet_id__in=ids).delete()


def withdraw_author(*, author: User) -> None:
    """Moderation suspended the author: delete the feed rows of their tweets and retweets,
    and of others' retweets of their tweets, everywhere, and drop them from cached feeds
    after commit."""
    ids = list(
        Tweet.objects.filter(Q(user=author) | Q(retweet_of__user=author)).values_list(
            "pk", flat=True
        )
    )
    forget_tweets(tweet_ids=ids)
    NewsFeed.objects.filter(tweet_id__in=ids).delete()


def dispatch_fanout(*, tweet_id: int) -> list[int]:
    """Split a pending fan-out into follower batches (once) and return the ids of batches
    still to deliver. Safe to call again: existing batches are reused, done ones skipped."""
    with transaction.atomic():
        if not lock_rows(Tweet, [tweet_id], mode="KEY SHARE"):
            return []  # deleted meanwhile
        fanout = (
            Fanout.objects.select_for_update()
            .filter(tweet_id=tweet_id, status=Fanout.PENDING)
            .first()
        )
        if fanout is None:
            return []  # deleted, done or skipped meanwhile
        fanout.attempts += 1
        fanout.save(update_fields=["attempts"])
        if not fanout.batches.exists():
            _create_batches(fanout)
        pending = list(fanout.batches.filter(done_at__isnull=True).values_list("pk", flat=True))
        if not pending:
            _complete_if_delivered(fanout)
    return pending


def _create_batches(fanout: Fanout) -> None:
    """Follower-id ranges of NEWSFEED_FANOUT_BATCH_SIZE each, over the followers as of now.

    The database numbers the followers and returns only each range's last id (every
    size-th follower, and the last one): a million followers cost a thousand rows here,
    not a million ids through Python."""
    size = settings.NEWSFEED_FANOUT_BATCH_SIZE
    numbered = Friendship.objects.filter(followee_id=fanout.author_id).annotate(
        n=Window(RowNumber(), order_by="follower_id"),
        total=Window(Count("pk")),
        rest=Mod("n", size),
    )
    last_ids = list(
        numbered.filter(Q(rest=0) | Q(n=F("total")))
        .order_by("follower_id")
        .values_list("follower_id", flat=True)
    )
    starts = [0, *last_ids][: len(last_ids)]
    FanoutBatch.objects.bulk_create(
        [
            FanoutBatch(fanout=fanout, after_id=after, last_id=last)
            for after, last in zip(starts, last_ids, strict=True)
        ]
    )


def _complete_if_delivered(fanout: Fanout) -> None:
    """After a batch committed: the fan-out is done if no batch is left. One statement
    outside the batch's transaction, and no lock: of two last batches committing together,
    the one that commits second runs this after both marks are committed and sees none
    left (a batch holding the fan-out's row lock through its commit, as before, made every
    batch wait for the others' commits). A worker that dies before this leaves the fan-out
    pending with every batch done: the reconciler's dispatch completes it."""
    undone = FanoutBatch.objects.filter(fanout=OuterRef("pk"), done_at__isnull=True)
    Fanout.objects.filter(~Exists(undone), pk=fanout.pk, status=Fanout.PENDING).update(
        status=Fanout.DONE, completed_at=timezone.now()
    )


def deliver_batch(*, batch_id: int) -> int:
    """Insert the tweet into the feeds of one batch of followers. Idempotent: rows are
    keyed by (user, tweet), so a redelivered or retried batch inserts nothing new.
    Returns how many followers the batch covered."""
    batch = FanoutBatch.objects.select_related("fanout").filter(pk=batch_id).first()
    if batch is None or batch.done_at is not None:
        return 0
    fanout = batch.fanout
    with transaction.atomic():
        if not lock_rows(Tweet, [fanout.tweet_id], mode="KEY SHARE"):
            return 0  # deleted while queued
        tweet = (
            Tweet.objects.filter(pk=fanout.tweet_id)
            .annotate(shown=ExpressionWrapper(AVAILABLE, output_field=BooleanField()))
            .values("retweet_of__user_id", "in_reply_to__user_id", "shown")
            .first()
        )
        follower_ids = []
        # Hidden by a moderator, or its author suspended, while queued: delivered to nobody
        # (the lock above orders a hide and this batch: whichever commits first, the other
        # sees it).
        if tweet["shown"]:
            follower_ids = _insert_rows(
                fanout,
                batch,
                original_author_id=tweet["retweet_of__user_id"],
                replied_to_id=tweet["in_reply_to__user_id"],
            )
        FanoutBatch.objects.filter(pk=batch.pk, done_at__isnull=True).update(done_at=timezone.now())
        tweet_id = fanout.tweet_id
        transaction.on_commit(lambda: cache.push(tweet_id, follower_ids))
        send_to_users_on_commit(
            follower_ids, {"type": "newsfeed", "tweet_id": tweet_id}, only_online=True
        )
    _complete_if_delivered(fanout)
    return len(follower_ids)


def _insert_rows(
    fanout: Fanout,
    batch: FanoutBatch,
    *,
    original_author_id: int | None,
    replied_to_id: int | None = None,
) -> list[int]:
    """One feed row per follower in the batch's range, written by the database from the
    follow table in one statement (no object per row in Python; an existing row is a
    conflict to ignore). Followers with a block, either way, with the author or (for a
    retweet) with the original's author are left out by the same statement, as they are
    when the batch runs, so a block made while the batch was queued holds. A reply to
    someone else (`replied_to_id`, that tweet's author) reaches only the followers who
    also follow that person, or are that person (docs/threads.md).

    Returns the followers to push to, for the side effects: they are keyed by the tweet,
    not by the rows this attempt happened to insert (trap 7). Followers muting the author
    get the row (a mute may end) but neither the cache push nor the socket event: their
    cached feed is built without the muted author's tweets (docs/safety.md)."""
    in_range = Friendship.objects.filter(
        ~blocked_either_way(OuterRef("follower_id"), fanout.author_id),
        followee_id=fanout.author_id,
        follower_id__gt=batch.after_id,
        follower_id__lte=batch.last_id,
    )
    if original_author_id is not None and original_author_id != fanout.author_id:
        in_range = in_range.filter(~blocked_either_way(OuterRef("follower_id"), original_author_id))
    if replied_to_id is not None and replied_to_id != fanout.author_id:
        in_range = in_range.filter(
            Q(follower_id=replied_to_id) | Q(follows(OuterRef("follower_id"), replied_to_id))
        )
    selected = in_range.values_list(
        "follower_id", muting(OuterRef("follower_id"), fanout.author_id)
    )
    select, params = selected.query.sql_with_params()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    table = NewsFeed._meta.db_table
    # The ORM has no INSERT ... SELECT: the SELECT is the ORM's, values are parameters.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement: the followers are selected once (the block and reply filters,
            # the mute lookup), inserted, and listed for the side effects.
            cursor.execute(
                f"WITH f (follower_id, muting) AS MATERIALIZED ({select}),"  # noqa: S608
                f" ins AS (INSERT INTO {table} (user_id, tweet_id, author_id, created_at)"
                " SELECT follower_id, %s, %s, %s FROM f ON CONFLICT DO NOTHING)"
                " SELECT follower_id, muting FROM f",
                [*params, fanout.tweet_id, fanout.author_id, now],
            )
            followers = cursor.fetchall()
        else:
            # SQLite (the embedded mode) has no INSERT inside WITH: select, then insert
            # (`WHERE true` makes ON CONFLICT parse as the insert's, not a join's).
            cursor.execute(select, params)
            followers = cursor.fetchall()
            cursor.execute(
                f"INSERT INTO {table} (user_id, tweet_id, author_id, created_at)"  # noqa: S608
                f" SELECT follower_id, %s, %s, %s FROM ({select}) AS f WHERE true"
                " ON CONFLICT DO NOTHING",
                [fanout.tweet_id, fanout.author_id, now, *params],
            )
    return [follower_id for follower_id, is_muting in followers if not is_muting]


def follows(follower, followee) -> Exists:
    """EXISTS a follow of `followee` by `follower` (ids or expressions)."""
    return Exists(Friendship.objects.filter(follower_id=follower, followee_id=followee))


def shown_replies(follower: User, followee: User) -> Q:
    """The followee's tweets a follower's feed shows: all but replies to others whom the
    follower does not follow (docs/threads.md); as fan-out delivers them."""
    replied_to = "in_reply_to__user_id"
    return (
        Q(in_reply_to__isnull=True)
        | Q(**{replied_to: followee.pk})
        | Q(**{replied_to: follower.pk})
        | Q(follows(follower.pk, OuterRef(replied_to)))
    )


def backfill(*, follower: User, followee: User) -> None:
    """Bring the followee's recent tweets into the follower's feed (on follow). Call before
    moving the users' counters: the tweets are locked first (KEY SHARE)."""
    recent = list(
        Tweet.objects.filter(shown_replies(follower, followee), user=followee)
        .filter(~blocked_either_way(follower.pk, OuterRef("retweet_of__user_id")))
        .order_by("-id")
        .values_list("pk", flat=True)[: settings.NEWSFEED_BACKFILL]
    )
    recent = lock_rows(Tweet, recent, mode="KEY SHARE")
    NewsFeed.objects.bulk_create(
        [NewsFeed(user=follower, tweet_id=tweet_id, author=followee) for tweet_id in recent],
        ignore_conflicts=True,
    )
    transaction.on_commit(lambda: cache.invalidate([follower.pk]))


def remove_author(*, follower: User, followee: User) -> None:
    """Take the followee's tweets out of the follower's feed (on unfollow)."""
    NewsFeed.objects.filter(user=follower, author=followee).delete()
    transaction.on_commit(lambda: cache.invalidate([follower.pk]))


def separate(*, user: User, other: User) -> None:
    """On a block: take each one's tweets and retweets, and retweets of each one's tweets,
    out of the other's feed; both cached feeds are dropped after commit."""
    NewsFeed.objects.filter(
        Q(user=user, author=other)
        | Q(user=other, author=user)
        | Q(user=user, tweet__retweet_of__user=other)
        | Q(user=other, tweet__retweet_of__user=user)
    ).delete()
    transaction.on_commit(lambda: cache.invalidate([user.pk, other.pk]))


def refresh_cached_feed(*, user: User) -> None:
    """Drop the user's cached feed after commit (a mute changed what it shows); the next
    read rebuilds it from the table."""
    transaction.on_commit(lambda: cache.invalidate([user.pk]))


def reconcile_fanouts(*, older_than: timedelta | None = None, limit: int = 500) -> int:
    """Re-enqueue fan-outs still pending after `older_than` (a lost message, a broker that
    was down at posting time, a Redis that lost its queue). Returns how many."""
    if older_than is None:  # not `or`: timedelta(0), "everything pending", is falsy
        older_than = timedelta(seconds=settings.NEWSFEED_RECONCILE_AFTER_SECONDS)
    stale = list(
        Fanout.objects.filter(status=Fanout.PENDING, created_at__lt=timezone.now() - older_than)
        .order_by("created_at")
        .values_list("tweet_id", flat=True)[:limit]
    )
    for tweet_id in stale:
        try:
            tasks.fanout_tweet.apply_async(args=(tweet_id,))
        except Exception:
            logger.exception("reconciler could not enqueue fan-out of %s", tweet_id)
            break
    return len(stale)


@transaction.atomic
def forget_feed_of(*, user_id: int, limit: int) -> int:
    """Delete up to `limit` rows of a deleted account's own home timeline (the rows of its
    tweets in others' feeds go with the tweets); its cached feed is dropped after commit.
    Returns how many: 0 means none are left."""
    ids = list(NewsFeed.objects.filter(user_id=user_id).values_list("pk", flat=True)[:limit])
    NewsFeed.objects.filter(pk__in=ids).delete()
    transaction.on_commit(lambda: cache.invalidate([user_id]))
    return len(ids)
