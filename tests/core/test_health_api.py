import copy

import pytest

from config.celery import app as celery_app

CLOSED_PORT = "127.0.0.1:1"  # nothing listens on port 1: connections are refused at once

pytestmark = pytest.mark.django_db


def test_healthz_is_200_ok(api_client):
    response = api_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_checks_nothing_else(api_client, settings, django_assert_num_queries):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://{CLOSED_PORT}/0",
        }
    }

    with django_assert_num_queries(0):
        response = api_client.get("/healthz")

    assert response.status_code == 200


def test_readyz_is_200_with_every_check_ok(api_client):
    response = api_client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "channel_layer": "ok", "broker": "ok"},
    }


def test_readyz_reaches_the_configured_broker(api_client):
    """Not eager: the check really connects (Redis in the real-services run)."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        response = api_client.get("/readyz")
    finally:
        celery_app.conf.task_always_eager = eager

    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "ok"


@pytest.fixture
def broker_down():
    """Celery publishing for real (not eagerly) to a broker that is not there."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    conf.broker_url, conf.task_always_eager = f"redis://{CLOSED_PORT}/0", False
    try:
        yield
    finally:
        conf.broker_url, conf.task_always_eager = saved


def test_readyz_names_a_broker_that_is_down(api_client, broker_down):
    response = api_client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "code": "service_unavailable",
        "detail": "Unavailable: broker.",
        "status": "unavailable",
        "checks": {"database": "ok", "cache": "ok", "channel_layer": "ok", "broker": "down"},
        "down": ["broker"],
    }
    assert response["Retry-After"] == "5"


def test_readyz_names_a_cache_that_is_down(api_client, settings):
    caches = copy.deepcopy(settings.CACHES)
    caches["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://{CLOSED_PORT}/0",
    }
    settings.CACHES = caches

    response = api_client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "code": "service_unavailable",
        "detail": "Unavailable: cache.",
        "status": "unavailable",
        "checks": {"database": "ok", "cache": "down", "channel_layer": "ok", "broker": "ok"},
        "down": ["cache"],
    }


DOWN_LAYER = {
    "default": {
        "BACKEND": "core.channel_layer.RedisChannelLayer",
        "CONFIG": {"hosts": [{"address": f"redis://{CLOSED_PORT}/0", "socket_connect_timeout": 1}]},
    }
}


def test_readyz_names_a_channel_layer_that_is_down(api_client, settings):
    settings.CHANNEL_LAYERS = DOWN_LAYER

    response = api_client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["down"] == ["channel_layer"]
    assert response.json()["checks"]["channel_layer"] == "down"


def test_readyz_names_everything_that_is_down(api_client, settings, broker_down):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://{CLOSED_PORT}/0",
        }
    }
    settings.CHANNEL_LAYERS = DOWN_LAYER

    response = api_client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["down"] == ["broker", "cache", "channel_layer"]
    assert response.json()["detail"] == "Unavailable: broker, cache, channel_layer."


def test_readyz_answers_get_only(api_client):
    response = api_client.post("/readyz")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
