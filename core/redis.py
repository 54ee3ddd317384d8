"""The Redis client for data structures the Django cache API cannot express (sorted sets
for feeds). None in the embedded mode: callers then use the database alone."""

from functools import cache

import redis
from django.conf import settings


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_timeout=1.0, socket_connect_timeout=1.0, health_check_interval=30
    )


def get_redis() -> redis.Redis | None:
    if not settings.REDIS_URL:
        return None
    return _client(settings.REDIS_URL)


def key_prefix() -> str:
    """Namespace shared with the Django cache (KEY_PREFIX), so tests stay isolated."""
    return settings.CACHES["default"].get("KEY_PREFIX", "") or "chirp"
