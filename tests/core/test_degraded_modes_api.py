"""Redis away, in-process: refused (nothing listens) and hung (a port that accepts and never
answers, as a stopped or partitioned Redis does). Throttles fail open and are counted, the
feed is read from the table, pushes are dropped, and nothing waits longer than the
configured timeouts (a missing timeout would hang here until pytest-timeout fails the test).

docs/reliability.md fault test 8 does the same to a real redis-server under the production
servers: tests/integration/test_redis_outage.py.
"""

import copy
import socket

import pytest

from tests.conftest import authenticate, service_missing, set_throttle_rates
from tests.factories import TweetFactory, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"


@pytest.fixture
def hung_port():
    """A port whose connections the kernel accepts and nobody ever answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        yield listener.getsockname()[1]


@pytest.fixture(params=["refused", "hung"])
def redis_away(request, settings, hung_port):
    """Every Redis client of the process (cache, feed cache and presence, channel layer)
    pointed at a dead address, with the timeouts settings configure."""
    if settings.CACHES["default"]["BACKEND"] != "django.core.cache.backends.redis.RedisCache":
        service_missing("Redis clients and their timeouts are configured with REDIS_URL")
    port = 1 if request.param == "refused" else hung_port
    url = f"redis://127.0.0.1:{port}/0"
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = url
    settings.CACHES = caches
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    layers["default"]["CONFIG"]["hosts"][0]["address"] = url
    settings.CHANNEL_LAYERS = layers
    settings.REDIS_URL = url
    set_throttle_rates(settings, login="1/min", post="1/min", toggle="1/min")
    return request.param


def test_throttles_let_requests_through_and_count_them(api_client, redis_away):
    statuses = [
        api_client.post(LOGIN, {"username": "nobody", "password": "wrong-password"}).status_code
        for _ in range(3)
    ]

    assert statuses == [401, 401, 401]  # over a 1/min rate, yet not refused
    ready = api_client.get("/readyz").json()
    # Each login checks two buckets (accounts.throttling): the client's IP and the account.
    assert ready["degraded"] == {"throttle_fail_open": 6}
    assert ready["checks"]["cache"] == "down"
    assert ready["checks"]["channel_layer"] == "down"


def test_posting_liking_following_and_reading_work(redis_away, django_capture_on_commit_callbacks):
    author, reader = UserFactory(), UserFactory()
    tweet = TweetFactory(user=author)
    as_author, as_reader = authenticate_pair(author, reader)

    with django_capture_on_commit_callbacks(execute=True):
        follow = as_reader.post(f"/api/v1/users/{author.username}/follow/")
        like = as_reader.post(f"/api/v1/tweets/{tweet.pk}/like/")
        posted = as_author.post("/api/v1/tweets/", {"text": "while Redis is away"})
        again = as_author.post("/api/v1/tweets/", {"text": "and again"})

    assert [follow.status_code, like.status_code, posted.status_code, again.status_code] == [
        200,
        200,
        201,
        201,
    ]
    feed = as_author.get("/api/v1/newsfeed/")
    assert feed.status_code == 200
    assert [item["id"] for item in feed.json()["results"]] == [
        again.json()["id"],
        posted.json()["id"],
        tweet.pk,
    ]
    suggestions = as_reader.get("/api/v1/users/suggestions/")
    assert suggestions.status_code == 200


def authenticate_pair(first, second):
    from rest_framework.test import APIClient

    return authenticate(APIClient(), first), authenticate(APIClient(), second)
