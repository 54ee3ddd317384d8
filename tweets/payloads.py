"""Tweets rendered for the home timeline and every other tweet list (a user's tweets,
search, hashtags, replies): one SQL query per page when warm, whatever its length.

TweetSerializer's output for a tweet is split in two:

- what changes with every like or differs per viewer is read fresh for every page, in
  one query over the page's tweets, the originals they retweet and the tweets they quote
  (joined): the counters, the thread ids, the viewer's `has_liked`, `has_retweeted` and
  `is_bookmarked`, whether the viewer may see the quoted tweet, and the fields the rest is
  rendered from (text, creation and edit times, edit count, the author's id, username, display name and avatar);
- the rest (the author's summary, photos, hashtags, mentions, the formatting) is cached in
  Redis per tweet, `<KEY_PREFIX>:tweet:<id>`, with a stamp: a digest of the fields it was
  rendered from and of the request's scheme and host (URLs are absolute). An entry whose
  stamp differs from the fresh row's (the tweet was edited, its author changed their
  profile) or that is missing is rendered again through the serializer from one more query
  (photos, hashtags and mentions of all of them at once) and stored for TWEET_CACHE_TTL.

So edits, deletions (no row, no item) and profile changes show at once without any
invalidation to get right or to lose when Redis is away. The one thing a stamp does not
see: a mentioned account's new username shows in `mentions` when the entry expires.
Redis errors make every entry a miss (rendered from the database, nothing stored): the
same page, slower. See docs/fanout.md.
"""

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import redis
from django.conf import settings
from django.db import connection
from django.db.models import CharField, F, IntegerField, Value
from django.utils import timezone
from rest_framework.request import Request

from accounts.models import User
from core.redis import get_redis, key_prefix
from friendships.models import Friendship
from safety.models import Block
from tweets.models import Bookmark, Like, Mention, Tweet, TweetHashtag, TweetPhoto
from tweets.serializers import OriginalTweetSerializer

logger = logging.getLogger(__name__)

# What a cached rendering is made from (its stamp), what is read fresh on top of it.
RENDERED_FROM = (
    "id",
    "user_id",
    "user__username",
    "user__display_name",
    "user__avatar",
    "text",
    "created_at",
    "edited_at",
    "edit_count",
)
COUNTERS = ("likes_count", "retweets_count", "comments_count", "replies_count")
# A reply's in_reply_to_id turns null when the tweet it replies to is deleted: read fresh.
THREAD = ("in_reply_to_id", "conversation_id")
FIELDS = (*RENDERED_FROM, *COUNTERS, *THREAD)
# The reader's flags, read fresh, in this order (the EXISTS of _fresh_rows).
VIEWER_FLAGS = ("has_liked", "has_retweeted", "is_bookmarked")
# Per row: the tweet, a retweet's original, and the tweet quoted (by the tweet, or by the
# original: a retweet quotes nothing), each as FIELDS and the viewer's flags.
ALIASES = (("t", "u"), ("o", "ou"), ("q", "qu"))


def render_tweets(tweet_ids: Sequence[int], *, viewer: User, request: Request) -> list[dict]:
    """TweetSerializer's output for these tweets, in this order; tweets that no longer
    exist, or that a moderator hid or whose author is suspended, are left out. One query, one more for tweets not cached (or with Redis away)."""
    rows = _fresh_rows(tweet_ids, viewer)
    shown: dict[int, dict] = {}
    for row in rows.values():
        for part in row:
            if part is not None:
                shown[part["id"]] = part
    rendered = _renderings(shown, request)
    items = []
    for tweet_id in tweet_ids:
        if tweet_id not in rows:
            continue  # deleted since its id was read
        own, original, quoted = rows[tweet_id]
        item = _with_fresh(rendered[own["id"]], own)
        quote = None if quoted is None else _with_fresh(rendered[quoted["id"]], quoted)
        if original is None:
            item["quote_of"] = quote
        else:
            item["retweet_of"] = _with_fresh(rendered[original["id"]], original)
            item["retweet_of"]["quote_of"] = quote
        items.append(item)
    return items


def _fresh_rows(
    tweet_ids: Sequence[int], viewer: User
) -> dict[int, tuple[dict, dict | None, dict | None]]:
    """Each tweet's fresh fields, a retweet's original's, and the quoted tweet's when the
    viewer may see it (tweets.selectors.may_see_quote): one query.

    Written as SQL because the ORM's compilation of this query (four self-joins, eleven
    EXISTS) costs about 2 ms of CPU per page, several times what the database spends on
    it; every page pays it. The EXISTS are answered by the unique indexes (user, tweet) of
    likes and bookmarks and (user, retweet_of) of tweets, the unique (follower, followee) of
    follows and (blocker, blocked) of blocks."""
    if not tweet_ids:
        return {}
    # Only table names and aliases are formatted in; every value is a parameter.
    tweets, users, likes = Tweet._meta.db_table, User._meta.db_table, Like._meta.db_table
    follows, blocks = Friendship._meta.db_table, Block._meta.db_table
    bookmarks = Bookmark._meta.db_table

    def columns(alias: str, user: str) -> str:
        return (
            f"{alias}.id, {alias}.user_id, {user}.username, {user}.display_name, "
            f"{user}.avatar, {alias}.text, {alias}.created_at, {alias}.edited_at, "
            f"{alias}.edit_count, {alias}.likes_count, {alias}.retweets_count, {alias}.comments_count, "
            f"{alias}.replies_count, {alias}.in_reply_to_id, {alias}.conversation_id"
        )

    def flags(tweet: str) -> str:
        return (
            f"EXISTS (SELECT 1 FROM {likes} l WHERE l.user_id = %s AND l.tweet_id = {tweet}), "  # noqa: S608
            f"EXISTS (SELECT 1 FROM {tweets} r WHERE r.user_id = %s AND r.retweet_of_id = {tweet}), "
            f"EXISTS (SELECT 1 FROM {bookmarks} b WHERE b.user_id = %s AND b.tweet_id = {tweet})"
        )

    # may_see_quote, written out: the quoted author is not protected, or is the viewer,
    # or is followed by them; and no block either way.
    quote_visible = (
        f"((NOT qu.is_protected OR qu.id = %s OR EXISTS (SELECT 1 FROM {follows} f"  # noqa: S608
        f" WHERE f.follower_id = %s AND f.followee_id = qu.id)) AND NOT EXISTS (SELECT 1"
        f" FROM {blocks} b WHERE (b.blocker_id = %s AND b.blocked_id = qu.id)"
        f" OR (b.blocker_id = qu.id AND b.blocked_id = %s)))"
    )
    placeholders = ", ".join(["%s"] * len(tweet_ids))
    selected = ", ".join(columns(alias, user) for alias, user in ALIASES)
    sql = (
        f"SELECT {selected}, {flags('t.id')}, {flags('o.id')}, {flags('q.id')}, "  # noqa: S608
        f"{quote_visible} FROM {tweets} t JOIN {users} u ON u.id = t.user_id "
        f"LEFT JOIN {tweets} o ON o.id = t.retweet_of_id "
        f"LEFT JOIN {users} ou ON ou.id = o.user_id "
        f"LEFT JOIN {tweets} q ON q.id = COALESCE(t.quote_of_id, o.quote_of_id) "
        f"LEFT JOIN {users} qu ON qu.id = q.user_id WHERE t.id IN ({placeholders})"
        # Hidden by a moderator, or by a suspended or deleted user (tweets.selectors.available),
        # the tweet or a retweet's original: left out, like a deleted tweet.
        " AND t.hidden_at IS NULL AND u.is_active"
        " AND (o.id IS NULL OR (o.hidden_at IS NULL AND ou.is_active))"
    )
    viewer_id = viewer.pk if viewer.is_authenticated else None  # = NULL: never true
    with connection.cursor() as cursor:
        # Each part's flags, then the four of quote_visible.
        cursor.execute(sql, [viewer_id] * (len(ALIASES) * len(VIEWER_FLAGS) + 4) + list(tweet_ids))
        found = cursor.fetchall()
    width, parts, count = len(FIELDS), len(ALIASES), len(VIEWER_FLAGS)
    rows = {}
    for values in found:
        flag_values = values[parts * width :]
        own, original, quoted = (
            None
            if values[index * width] is None
            else _row(
                values[index * width : (index + 1) * width],
                flag_values[count * index : count * (index + 1)],
            )
            for index in range(parts)
        )
        if not flag_values[-1]:
            quoted = None  # the viewer may not see the quoted tweet
        rows[own["id"]] = (own, original, quoted)
    return rows


def _row(values: Sequence, flags: Sequence) -> dict:
    row = dict(zip(FIELDS, values, strict=True))
    for name in ("created_at", "edited_at"):
        row[name] = _aware(row[name])
    row["conversation_id"] = row["conversation_id"] or row["id"]
    row.update(zip(VIEWER_FLAGS, map(bool, flags), strict=True))
    return row


def _aware(value: datetime | None) -> datetime | None:
    # PostgreSQL returns aware datetimes; SQLite's driver naive ones, in UTC (the ORM
    # makes them aware; raw SQL does not).
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value, UTC)
    return value


def _with_fresh(rendered: dict, row: dict) -> dict:
    item = dict(rendered)  # a copy: one original may be shown twice on a page
    for name in (*COUNTERS, *THREAD, *VIEWER_FLAGS):
        item[name] = row[name]
    return item


# --- the cache ---------------------------------------------------------------------------


def tweet_key(tweet_id: int) -> str:
    return f"{key_prefix()}:tweet:{tweet_id}"


def _stamp(row: dict, base: str) -> str:
    source = "\x1f".join([base, *(str(row[name]) for name in RENDERED_FROM)])
    return hashlib.blake2b(source.encode(), digest_size=12).hexdigest()


def _renderings(shown: dict[int, dict], request: Request) -> dict[int, dict]:
    """The cached part of each shown tweet: from Redis when its stamp matches, else
    rendered (one query for all of them) and stored."""
    base = request.build_absolute_uri("/")
    stamps = {tweet_id: _stamp(row, base) for tweet_id, row in shown.items()}
    rendered: dict[int, dict] = {}
    client = get_redis()
    cached = _read(client, list(shown))
    for tweet_id, raw in zip(shown, cached or (), strict=False):
        if raw is not None:
            entry = json.loads(raw)
            if entry["stamp"] == stamps[tweet_id]:
                rendered[tweet_id] = entry["tweet"]
    missing = [row for tweet_id, row in shown.items() if tweet_id not in rendered]
    if missing:
        fresh = _render(missing, request)
        rendered.update(fresh)
        if cached is not None:  # Redis answered the read: worth storing
            _store(client, {tweet_id: (stamps[tweet_id], fresh[tweet_id]) for tweet_id in fresh})
    return rendered


def _read(client: redis.Redis | None, tweet_ids: list[int]) -> list | None:
    """Cached entries, None for each miss; None instead of a list when Redis is off or
    failing (the caller then does not try to store either: one timeout, not two)."""
    if client is None or not tweet_ids:
        return None
    try:
        return client.mget([tweet_key(tweet_id) for tweet_id in tweet_ids])
    except redis.RedisError:
        logger.warning("tweet cache read failed; rendering from the database")
        return None


def _store(client: redis.Redis, entries: dict[int, tuple[str, dict]]) -> None:
    try:
        pipe = client.pipeline(transaction=False)
        for tweet_id, (stamp, tweet) in entries.items():
            value = json.dumps({"stamp": stamp, "tweet": tweet}, separators=(",", ":"))
            pipe.set(tweet_key(tweet_id), value, ex=settings.TWEET_CACHE_TTL)
        pipe.execute()
    except redis.RedisError:
        logger.warning("tweet cache store failed for %d tweets", len(entries))


# --- rendering ---------------------------------------------------------------------------


def _render(rows: list[dict], request: Request) -> dict[int, dict]:
    """OriginalTweetSerializer's output for these fresh rows, with their photos, hashtags
    and mentions read in one query."""
    photos, hashtags, mentions = _attachments(row["id"] for row in rows)
    tweets = []
    for row in rows:
        tweet = Tweet(
            id=row["id"],
            user_id=row["user_id"],
            text=row["text"],
            created_at=row["created_at"],
            edited_at=row["edited_at"],
            edit_count=row["edit_count"],
            **{name: row[name] for name in (*COUNTERS, *THREAD)},
        )
        tweet.user = User(
            id=row["user_id"],
            username=row["user__username"],
            display_name=row["user__display_name"],
            avatar=row["user__avatar"],
        )
        tweet.photo_list = photos[tweet.pk]
        tweet.hashtag_names = hashtags[tweet.pk]
        tweet.mention_names = mentions[tweet.pk]
        # Per viewer: set on every read.
        tweet.has_liked = tweet.has_retweeted = tweet.is_bookmarked = False
        tweets.append(tweet)
    data = OriginalTweetSerializer(tweets, many=True, context={"request": request}).data
    return {tweet.pk: dict(item) for tweet, item in zip(tweets, data, strict=True)}


def _attachments(
    tweet_ids: Iterable[int],
) -> tuple[dict[int, list[TweetPhoto]], dict[int, list[str]], dict[int, list[str]]]:
    """Photos (by position), hashtags and mentions (in the text's order) of these tweets,
    in one UNION ALL query."""
    ids = list(tweet_ids)
    columns = ("kind", "tweet_id", "rank", "name", "width", "height", "alt")

    def rows(model, kind: str, name: str, rank: str = "id", **photo_fields):
        return (
            model.objects.filter(tweet_id__in=ids)
            .annotate(
                kind=Value(kind, output_field=CharField()),
                rank=F(rank),
                name=F(name),
                **photo_fields,
            )
            .values_list(*columns)
        )

    not_photo = {
        "width": Value(0, output_field=IntegerField()),
        "height": Value(0),
        "alt": Value("", output_field=CharField()),
    }
    union = rows(TweetPhoto, "p", "image", rank="position", alt=F("alt_text")).union(
        rows(TweetHashtag, "h", "hashtag__name", **not_photo),
        rows(Mention, "m", "user__username", **not_photo),
        all=True,
    )
    by_kind: dict[str, dict[int, list]] = {"p": defaultdict(list), "h": defaultdict(list),
                                           "m": defaultdict(list)}  # fmt: skip
    for kind, tweet_id, _rank, name, width, height, alt in sorted(union, key=lambda r: r[2]):
        if kind == "p":
            by_kind[kind][tweet_id].append(
                TweetPhoto(tweet_id=tweet_id, image=name, width=width, height=height, alt_text=alt)
            )
        else:
            by_kind[kind][tweet_id].append(name)
    return by_kind["p"], by_kind["h"], by_kind["m"]
