"""The Redis client for data structures the Django cache API cannot express (sorted sets
for feeds). None in the embedded mode: callers then use the database alone."""

from functools import cache

import redis
from django.conf import settings


@cache
def _client(url: str, timeout: float) -> redis.Redis:
    # The cache's timeouts and retry (settings): a caller that cannot reach Redis falls back
    # after REDIS_SOCKET_TIMEOUT at most, and a connection broken by a restart is replaced.
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=settings.REDIS_RETRY,
        health_check_interval=30,
    )


def get_redis() -> redis.Redis | None:
    if not settings.REDIS_URL:
        return None
    return _client(settings.REDIS_URL, settings.REDIS_SOCKET_TIMEOUT)


def key_prefix() -> str:
    """Namespace shared with the Django cache (KEY_PREFIX), so tests stay isolated."""
    return settings.CACHES["default"].get("KEY_PREFIX", "") or "chirp"
