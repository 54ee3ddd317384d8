"""Who has a socket open, so a fan-out pushes `newsfeed` events only to online followers.

A Redis hash counts open sockets per user: +1 on connect, -1 on disconnect. A web process
that dies without disconnecting leaves its counts too high, which only means some events
go to an empty group (harmless); a count is never too low, so nobody online is skipped.
Without Redis (embedded mode, one process) every user counts as online.
"""

import logging
from collections.abc import Sequence

import redis

from core.redis import get_redis, key_prefix

logger = logging.getLogger(__name__)


def _key() -> str:
    return f"{key_prefix()}:online"


def socket_opened(user_id: int) -> None:
    client = get_redis()
    if client is None:
        return
    try:
        client.hincrby(_key(), str(user_id), 1)
    except redis.RedisError:
        logger.warning("presence: could not record a socket of user %s", user_id)


# Decrement and drop the entry at zero in one step: as two commands, a socket of the same
# user opening in between would be counted and then deleted, and its user skipped.
_CLOSE = """
local count = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if count <= 0 then
    redis.call('HDEL', KEYS[1], ARGV[1])
end
return count
"""


def socket_closed(user_id: int) -> None:
    client = get_redis()
    if client is None:
        return
    try:
        client.eval(_CLOSE, 1, _key(), str(user_id))
    except redis.RedisError:
        logger.warning("presence: could not record a closed socket of user %s", user_id)


def online_among(user_ids: Sequence[int]) -> list[int]:
    """The users among `user_ids` with a socket open (all of them when unknown)."""
    client = get_redis()
    if client is None or not user_ids:
        return list(user_ids)
    try:
        counts = client.hmget(_key(), [str(user_id) for user_id in user_ids])
    except redis.RedisError:
        return list(user_ids)  # unknown: push to everyone rather than drop events
    return [
        user_id for user_id, count in zip(user_ids, counts, strict=True) if count and int(count) > 0
    ]
