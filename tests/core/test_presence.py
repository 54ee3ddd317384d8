"""core.presence: fan-out pushes go only to users with an open socket."""

import pytest
from django.conf import settings

from core import presence
from tests.conftest import service_missing


@pytest.fixture
def redis_presence():
    if not settings.REDIS_URL:
        service_missing("presence is tracked in Redis; REDIS_URL is unset")


def test_without_redis_everyone_counts_as_online(settings):
    settings.REDIS_URL = ""
    assert presence.online_among([3, 1, 2]) == [3, 1, 2]


def test_online_among_counts_sockets_per_user(redis_presence):
    presence.socket_opened(1)
    presence.socket_opened(2)
    presence.socket_opened(2)  # a phone and a browser
    assert presence.online_among([1, 2, 3]) == [1, 2]

    presence.socket_closed(2)
    assert presence.online_among([1, 2, 3]) == [1, 2]
    presence.socket_closed(2)
    presence.socket_closed(1)
    assert presence.online_among([1, 2, 3]) == []


def test_unreachable_redis_counts_everyone_online(redis_presence, settings):
    from core.redis import _client

    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    _client.cache_clear()
    try:
        assert presence.online_among([5, 6]) == [5, 6]
        presence.socket_opened(5)  # logged, not raised
    finally:
        _client.cache_clear()
