import json

import pytest
import time_machine
from rest_framework.test import APIClient

from tests.conftest import service_missing, set_throttle_rates
from tests.core.boom_urls import SECRET
from tests.shapes import error

LOGIN = "/api/v1/auth/login/"
SERVER_ERROR = error("server_error", "Something went wrong on our side. Try again later.")

pytestmark = pytest.mark.django_db


# --- 404 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/nowhere/", "/api/v1/users/a/b/c/", "/nothing-here"])
def test_unknown_url_is_a_json_404(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == error("not_found", "Not found.")


@pytest.mark.parametrize("path", ["/api/v1/nowhere/", "/nothing-here"])
def test_unknown_url_is_a_json_404_even_with_debug_on(api_client, settings, path):
    settings.DEBUG = True

    response = api_client.get(path, HTTP_ACCEPT="text/html")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == error("not_found", "Not found.")


def test_wrong_method_on_a_plain_django_view_is_json_405_with_allow(api_client):
    response = api_client.post("/healthz")

    assert response.status_code == 405
    assert response.json() == error("method_not_allowed", "Method not allowed.")
    assert response["Allow"] == "GET"


# --- 500 ---------------------------------------------------------------------------------


@pytest.fixture
def boom_client(settings):
    settings.ROOT_URLCONF = "tests.core.boom_urls"
    return APIClient(raise_request_exception=False)


@pytest.mark.parametrize("kind", ["django", "drf"])
@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("accept", ["application/json", "text/html", "*/*"])
def test_an_unexpected_exception_is_a_json_500_without_traceback(
    boom_client, settings, kind, debug, accept
):
    settings.DEBUG = debug

    response = boom_client.get(f"/api/v1/test-boom/{kind}/", HTTP_ACCEPT=accept)

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == SERVER_ERROR
    assert SECRET.encode() not in response.content
    assert b"Traceback" not in response.content


# --- 503: a service that cannot be reached -----------------------------------------------
# Real driver errors raised in-process; docs/reliability.md fault test 9 stops a real PostgreSQL
# (tests/integration/test_database_outage.py).


@pytest.fixture
def postgres(settings):
    if not settings.IS_POSTGRES:
        service_missing("PostgreSQL error codes need PostgreSQL (DATABASE_URL=postgres://...)")


@pytest.mark.parametrize("kind", ["django", "drf"])
@pytest.mark.parametrize("debug", [False, True])
def test_a_database_that_cannot_be_reached_is_503_with_retry_after(
    boom_client, settings, postgres, kind, debug
):
    settings.DEBUG = debug

    response = boom_client.get(f"/api/v1/test-fail/{kind}/database-down/")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == error(
        "service_unavailable", "The database is unavailable. Try again in a few seconds."
    )
    assert response["Retry-After"] == "5"
    assert boom_client.get("/readyz").json()["degraded"] == {"database_unavailable": 1}


@pytest.mark.parametrize("kind", ["django", "drf"])
def test_a_redis_that_cannot_be_reached_where_it_is_required_is_503(boom_client, kind):
    response = boom_client.post(f"/api/v1/test-fail/{kind}/redis-down/")

    assert response.status_code == 503
    assert response.json() == error(
        "service_unavailable", "The cache is unavailable. Try again in a few seconds."
    )
    assert response["Retry-After"] == "5"


@pytest.mark.parametrize("kind", ["django", "drf"])
@pytest.mark.parametrize("failure", ["bad-sql", "statement-timeout"])
def test_a_database_error_from_a_server_that_answers_is_still_a_500(
    boom_client, postgres, kind, failure
):
    response = boom_client.get(f"/api/v1/test-fail/{kind}/{failure}/")

    assert response.status_code == 500
    assert response.json() == SERVER_ERROR
    assert "degraded" not in boom_client.get("/readyz").json()


# --- throttling --------------------------------------------------------------------------


def bad_login(client):
    return client.post(LOGIN, {"username": "nobody", "password": "wrong-password"})


def test_throttled_is_429_with_retry_after(api_client, settings):
    set_throttle_rates(settings, login="2/min")

    with time_machine.travel("2026-11-24 13:37:00+00:00", tick=False):
        assert bad_login(api_client).status_code == 401
        assert bad_login(api_client).status_code == 401
        response = bad_login(api_client)

    assert response.status_code == 429
    assert response.json() == error(
        "throttled", "Request was throttled. Expected available in 60 seconds."
    )
    assert response["Retry-After"] == "60"


def test_a_throttle_lets_requests_through_again_after_the_window(api_client, settings):
    set_throttle_rates(settings, login="1/min")

    with time_machine.travel("2026-11-24 13:37:00+00:00", tick=False) as traveller:
        assert bad_login(api_client).status_code == 401
        assert bad_login(api_client).status_code == 429
        traveller.shift(61)
        assert bad_login(api_client).status_code == 401


def test_throttles_are_scoped(api_client, settings):
    set_throttle_rates(settings, login="1/min")

    bad_login(api_client)
    assert bad_login(api_client).status_code == 429

    signup = api_client.post(
        "/api/v1/auth/signup/",
        {"username": "newbie", "email": "newbie@example.com", "password": "a-fine-pass-9921"},
    )
    assert signup.status_code == 201


def test_a_writes_only_scope_counts_writes_but_not_reads(auth_client, settings):
    set_throttle_rates(settings, post="1/min")

    reads = {auth_client.get("/api/v1/tweets/").status_code for _ in range(3)}
    first = auth_client.post("/api/v1/tweets/", {"text": "one"})
    second = auth_client.post("/api/v1/tweets/", {"text": "two"})

    assert (reads, first.status_code, second.status_code) == ({200}, 201, 429)


def test_an_action_counts_under_its_own_scope(auth_client, settings):
    set_throttle_rates(settings, post="1/min", toggle="1/min")
    tweet = auth_client.post("/api/v1/tweets/", {"text": "one"}).json()

    like = auth_client.post(f"/api/v1/tweets/{tweet['id']}/like/")
    unlike = auth_client.delete(f"/api/v1/tweets/{tweet['id']}/like/")

    assert (like.status_code, unlike.status_code) == (200, 429)


def test_throttle_enabled_false_disables_every_throttle(api_client, settings):
    set_throttle_rates(settings, login="1/min")
    settings.THROTTLE_ENABLED = False

    statuses = {bad_login(api_client).status_code for _ in range(5)}

    assert statuses == {401}


# --- body limits -------------------------------------------------------------------------


def test_a_body_over_max_request_bytes_is_413(api_client, settings):
    settings.MAX_REQUEST_BYTES = 1024
    body = json.dumps({"username": "x" * 2000, "password": "y"})

    response = api_client.post(LOGIN, body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == error("payload_too_large", "Request bodies may be at most 1 KB.")


def test_a_json_body_over_data_upload_max_memory_size_is_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"username": "x" * 2000, "password": "y"})

    response = api_client.post(LOGIN, body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == error("payload_too_large", "The request body is too large.")


def test_a_spoofed_x_forwarded_for_does_not_dodge_the_throttle(api_client, settings):
    set_throttle_rates(settings, login="2/min")

    statuses = [
        api_client.post(
            LOGIN,
            {"username": "nobody", "password": "wrong-password"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        ).status_code
        for n in range(4)
    ]

    assert statuses == [401, 401, 429, 429]
