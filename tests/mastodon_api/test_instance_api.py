"""The Instance entities' counts: cached for MASTODON_INSTANCE_STATS_TTL (every client asks
at start), counted on every request when the cache is unreachable, never a 500."""

import copy

import pytest
from django.core.cache import cache
from django.test import Client

from core import outages
from mastodon_api.selectors import INSTANCE_COUNTS_KEY
from tests.conftest import service_missing
from tests.factories import TweetFactory, UserFactory

pytestmark = pytest.mark.django_db

V1 = "/mastodon/api/v1/instance"
V2 = "/mastodon/api/v2/instance"


def counts() -> tuple[int, int, int]:
    v1, v2 = Client().get(V1).json(), Client().get(V2).json()
    return (
        v1["stats"]["user_count"],
        v1["stats"]["status_count"],
        v2["usage"]["users"]["active_month"],
    )


def test_counts_are_cached_for_a_while(django_assert_num_queries):
    TweetFactory()
    assert counts() == (1, 1, 1)
    UserFactory()
    TweetFactory()
    assert counts() == (1, 1, 1)  # cached
    with django_assert_num_queries(0):
        Client().get(V1)
    cache.delete(INSTANCE_COUNTS_KEY)  # as when MASTODON_INSTANCE_STATS_TTL has run out
    assert counts() == (3, 2, 3)


def test_counts_are_computed_when_the_cache_is_unreachable(settings):
    if settings.CACHES["default"]["BACKEND"] != "django.core.cache.backends.redis.RedisCache":
        service_missing("the cache is Redis only with REDIS_URL")
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = "redis://127.0.0.1:1/0"  # nothing listens there
    settings.CACHES = caches
    TweetFactory()

    response = Client().get(V1)

    assert response.status_code == 200
    assert response.json()["stats"]["user_count"] == 1
    assert response.json()["stats"]["status_count"] == 1
    assert Client().get(V2).json()["usage"]["users"]["active_month"] == 1
    assert outages.counts() == {"instance_counts_uncached": 2}
