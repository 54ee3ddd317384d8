"""Newsfeed test helpers.

API tests run inside a transaction that never commits, so on-commit work (the fan-out
task, cache writes) only runs inside `committed()`. Celery is eager in tests, so a fan-out
started there has reached every follower when the block ends.
"""

import pytest
import redis

from core.redis import get_redis
from tests.conftest import service_missing

FEED = "/api/v1/newsfeed/"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): ...` runs the block's on-commit callbacks, nested ones included."""

    def block():
        return django_capture_on_commit_callbacks(execute=True)

    return block


@pytest.fixture
def feed_redis(settings):
    """The real Redis of REDIS_URL (keys are namespaced per test by tests/conftest.py)."""
    if not settings.REDIS_URL:
        service_missing("REDIS_URL is not set: no feed cache to test")
    client = get_redis()
    try:
        client.ping()
    except redis.RedisError as exc:
        service_missing(f"Redis at REDIS_URL is unreachable: {exc}")
    return client


def feed_ids(client, url: str = FEED, **params) -> list[int]:
    """Tweet ids of one feed page."""
    response = client.get(url, params)
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["results"]]


def walk_feed(client, page_size: int = 2) -> list[int]:
    """Every tweet id of the feed, following `next` links to the end."""
    ids: list[int] = []
    url, params = FEED, {"page_size": page_size}
    while url:
        response = client.get(url, params)
        assert response.status_code == 200, response.json()
        body = response.json()
        ids += [item["id"] for item in body["results"]]
        url, params = body["next"], None
    return ids
