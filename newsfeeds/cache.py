"""The feed cache: one Redis sorted set of tweet ids per user, newest last by score.

A cached feed always holds the user's newest tweets (up to NEWSFEED_CACHE_SIZE) with no
gaps: it is built whole from the table, and fan-out adds to feeds that are already cached
(never creating a partial one). So a cached feed answers for every id from its lowest
member upwards, and for nothing below it. A sentinel member 0 marks a feed cached down to
its very first tweet; trimming drops it first, since it has the lowest score. Any Redis
error makes the cache report "not covered", and the caller reads the table: same results,
slower. See docs/fanout.md.
"""

import logging
from collections.abc import Iterable, Sequence

import redis
from django.conf import settings

from core.redis import get_redis, key_prefix

logger = logging.getLogger(__name__)

BOTTOM = 0

# Add a tweet to each of these feeds that is cached, then trim it to the cap; feeds not
# cached are left alone (one script for a whole fan-out batch: one round trip, and no
# command at all for the many followers whose feed nobody is reading). A cached feed is
# never an empty set (store() writes members or nothing), so its lowest member is also the
# test for "cached". A late tweet older than the bottom of a feed cached only in part is
# left out: the table has it, and adding it would open a gap the readers could not see.
PUSH = """
local id = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local pushed = 0
for _, key in ipairs(KEYS) do
  local lowest = redis.call('ZRANGE', key, 0, 0)[1]
  if lowest and (lowest == '0' or id >= tonumber(lowest)) then
    redis.call('ZADD', key, id, id)
    local extra = redis.call('ZCARD', key) - cap
    if extra > 0 then redis.call('ZREMRANGEBYRANK', key, 0, extra - 1) end
    pushed = pushed + 1
  end
end
return pushed
"""


def feed_key(user_id: int) -> str:
    return f"{key_prefix()}:feed:{user_id}"


def pulls_key(user_id: int) -> str:
    """Beside a cached feed: "1" if its reader follows an account whose fan-out was skipped
    (a large account: its tweets are pulled at read time), "0" if none. Written with the
    feed, dropped with it; absent, the reader is not known to pull nothing."""
    return f"{key_prefix()}:feed:{user_id}:pulls"


def _cap() -> int:
    return settings.NEWSFEED_CACHE_SIZE


def push(tweet_id: int, user_ids: Iterable[int]) -> int:
    """Add `tweet_id` to the cached feeds among these users' (one script call, one round
    trip); returns how many were cached. On Redis Cluster the keys of one call would have
    to share a slot: group them by slot (or by `{hash tag}`) before calling."""
    client = get_redis()
    # A batch's thousands of keys: the prefix is looked up once (feed_key per id was a
    # third of this function's CPU), and the keys go to redis-py already encoded.
    prefix = feed_key(0).removesuffix("0").encode()
    keys = [prefix + b"%d" % user_id for user_id in user_ids]
    if client is None or not keys:
        return 0
    try:
        return client.register_script(PUSH)(keys=keys, args=[tweet_id, _cap()])
    except redis.RedisError:
        logger.warning("feed cache push of %s failed; readers fall back to the table", tweet_id)
        return 0


def remove(tweet_ids: Sequence[int], user_ids: Iterable[int]) -> None:
    client = get_redis()
    if client is None or not tweet_ids:
        return
    try:
        pipe = client.pipeline(transaction=False)
        for user_id in user_ids:
            pipe.zrem(feed_key(user_id), *tweet_ids)
        pipe.execute()
    except redis.RedisError:
        logger.warning("feed cache removal failed; dropping the affected feeds")
        invalidate(user_ids)


def invalidate(user_ids: Iterable[int]) -> None:
    _delete([key for user_id in user_ids for key in (feed_key(user_id), pulls_key(user_id))])


def forget_pulls(user_ids: Iterable[int]) -> None:
    """These readers may pull now (an account they follow has become large): their cached
    feeds stay, but no longer say they pull nothing."""
    _delete([pulls_key(user_id) for user_id in user_ids])


def _delete(keys: list[str]) -> None:
    client = get_redis()
    if client is None or not keys:
        return
    try:
        for start in range(0, len(keys), 10_000):
            client.delete(*keys[start : start + 10_000])
    except redis.RedisError:
        logger.warning("feed cache invalidation failed for %d keys", len(keys))


def store(
    user_id: int,
    tweet_ids: Sequence[int],
    *,
    complete: bool,
    ttl: int | None = None,
    pulls: bool | None = None,
) -> None:
    """Replace a user's cached feed with these ids (newest NEWSFEED_CACHE_SIZE at most),
    for NEWSFEED_CACHE_TTL seconds or `ttl` if shorter, and whether its reader `pulls`
    (`pulls_key`; None: not known)."""
    client = get_redis()
    if client is None:
        return
    members = {str(tweet_id): tweet_id for tweet_id in tweet_ids}
    if complete:
        members[str(BOTTOM)] = BOTTOM
    try:
        pipe = client.pipeline(transaction=True)
        key = feed_key(user_id)
        pipe.delete(key)
        if members:
            pipe.zadd(key, members)
        seconds = min(ttl or settings.NEWSFEED_CACHE_TTL, settings.NEWSFEED_CACHE_TTL)
        pipe.expire(key, seconds)
        pipe.delete(pulls_key(user_id))
        if pulls is not None:
            pipe.set(pulls_key(user_id), int(pulls), ex=seconds)
        pipe.execute()
    except redis.RedisError:
        logger.warning("feed cache store failed for user %s", user_id)


def read(
    user_id: int, *, after: int | None, before: int | None, reverse: bool, limit: int
) -> tuple[list[int] | None, bool | None]:
    """Tweet ids of a cached feed, newest first, in (`before`, `after`) exclusive; with
    `reverse`, the `limit` oldest ids above `before`, oldest first. None when the feed is
    not cached or the cache does not reach far enough back to answer for sure. With them,
    in the same round trip, whether the reader pulls (`pulls_key`; None: not known)."""
    client = get_redis()
    if client is None:
        return None, None
    key = feed_key(user_id)
    try:
        pipe = client.pipeline(transaction=False)
        pipe.get(pulls_key(user_id))
        if reverse:
            pipe.zrange(key, 0, 0)  # the lowest member: BOTTOM when cached whole
            lower = f"({before}" if before is not None else f"({BOTTOM}"
            upper = f"({after}" if after is not None else "+inf"
            pipe.zrangebyscore(key, lower, upper, start=0, num=limit)
            flag, lowest, raw = pipe.execute()
        else:
            upper = f"({after}" if after is not None else "+inf"
            lower = f"({before}" if before is not None else "-inf"
            pipe.zrevrangebyscore(key, upper, lower, start=0, num=limit + 1)
            flag, raw = pipe.execute()
    except redis.RedisError:
        logger.warning("feed cache read failed for user %s; using the table", user_id)
        return None, None
    pulls = None if flag is None else int(flag) == 1
    if reverse:
        if not lowest:
            return None, pulls  # not cached
        bottom = int(lowest[0])
        # Cached in part, the feed is complete only from its lowest id upwards: ids
        # between `before` and that one may exist in the table alone.
        if bottom != BOTTOM and (before is None or before < bottom):
            return None, pulls
        return [int(member) for member in raw if int(member) != BOTTOM], pulls
    ids = [int(member) for member in raw]
    if BOTTOM in ids:
        return [tweet_id for tweet_id in ids if tweet_id != BOTTOM][:limit], pulls
    if len(ids) >= limit:
        return ids[:limit], pulls
    return None, pulls  # not cached, or cached but not reaching this far back
