"""The browser flow: /auth/facebook/authorize/ -> Facebook's dialog -> /callback/."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import time_machine
from django.contrib.auth import SESSION_KEY

from accounts.models import User
from fakegraph.server import APP_ID
from tests.shapes import ANY, error

pytestmark = pytest.mark.django_db

AUTHORIZE = "/api/v1/auth/facebook/authorize/"
CALLBACK = "/api/v1/auth/facebook/callback/"
INVALID_STATE = error("invalid_state", ANY)


def authorize(client, next_url: str | None = "/api/v1/newsfeed/") -> dict[str, str]:
    query = {"next": next_url} if next_url is not None else {}
    response = client.get(AUTHORIZE, query)
    assert response.status_code == 302
    return {
        key: values[0] for key, values in parse_qs(urlsplit(response["Location"]).query).items()
    }


def callback(client, state: str, code: str = "code-alice", **extra):
    return client.get(CALLBACK, {"code": code, "state": state, **extra})


def test_authorize_redirects_to_the_dialog_with_a_signed_state(api_client, fake_graph):
    response = api_client.get(AUTHORIZE, {"next": "/api/v1/newsfeed/"})

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}" == fake_graph.url
    assert location.path == "/v21.0/dialog/oauth"
    query = parse_qs(location.query)
    assert query["client_id"] == [APP_ID]
    assert query["redirect_uri"] == ["http://testserver/api/v1/auth/facebook/callback/"]
    assert query["response_type"] == ["code"]
    assert query["scope"] == ["public_profile,email,user_friends,user_likes"]
    assert query["state"][0].count(":") >= 2  # signed and timestamped
    cookie = response.cookies["fb_oauth_state"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["path"] == CALLBACK


def test_callback_logs_the_browser_in_and_redirects_to_next(api_client, fake_graph):
    state = authorize(api_client)["state"]

    response = callback(api_client, state)

    assert response.status_code == 302
    assert response["Location"] == "/api/v1/newsfeed/"
    user = User.objects.get()
    assert api_client.session[SESSION_KEY] == str(user.pk)
    me = api_client.get("/api/v1/me/")  # session authentication
    assert me.status_code == 200
    assert me.json()["username"] == "alice_liddell"
    # The code was exchanged with our redirect URI, then the token went through the
    # same checks as the SDK login (debug_token, /me, long-lived exchange).
    exchange = fake_graph.calls("/oauth/access_token")[0]
    assert exchange.form["code"] == "code-alice"
    assert exchange.form["redirect_uri"] == "http://testserver/api/v1/auth/facebook/callback/"
    assert fake_graph.calls("/debug_token")


def test_the_session_holds_on_later_requests_and_in_the_admin(api_client, fake_graph):
    callback(api_client, authorize(api_client)["state"])
    User.objects.update(is_staff=True, is_superuser=True)

    assert api_client.get("/api/v1/me/").json()["username"] == "alice_liddell"
    assert api_client.get("/admin/").status_code == 200
    User.objects.update(is_active=False)
    assert api_client.get("/api/v1/me/").status_code == 401


def test_the_fake_dialog_round_trip_logs_in(api_client, fake_graph):
    dialog = api_client.get(AUTHORIZE, {"next": "/api/v1/me/"})["Location"]

    back = requests.get(dialog, allow_redirects=False, timeout=5)
    response = api_client.get(back.headers["Location"].replace("http://testserver", ""))

    assert response.status_code == 302
    assert response["Location"] == "/api/v1/me/"


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example.com/", "//evil.example.com/x", "javascript:alert(1)", None, ""],
)
def test_unsafe_or_missing_next_goes_to_the_default(api_client, fake_graph, next_url):
    state = authorize(api_client, next_url)["state"]

    response = callback(api_client, state)

    assert response.status_code == 302
    assert response["Location"] == "/api/v1/me/"


def test_tampered_state_is_400(api_client, fake_graph):
    state = authorize(api_client)["state"]
    tampered = state.replace("newsfeed", "x") if "newsfeed" in state else state[:-2] + "xx"

    response = callback(api_client, tampered)

    assert response.status_code == 400
    assert response.json() == INVALID_STATE
    assert not User.objects.exists()
    assert fake_graph.requests == []


def test_forged_state_signed_with_another_key_is_400(api_client, fake_graph):
    from django.core import signing

    authorize(api_client)
    nonce = api_client.cookies["fb_oauth_state"].value
    forged = signing.dumps(
        {"n": nonce, "next": "https://evil.example.com/"},
        key="not-our-secret-key-0123456789",
        salt="facebook_connect.oauth.state",
    )

    response = callback(api_client, forged)

    assert response.status_code == 400


def test_state_is_single_use(api_client, fake_graph):
    state = authorize(api_client)["state"]
    nonce = api_client.cookies["fb_oauth_state"].value
    assert callback(api_client, state).status_code == 302

    api_client.cookies["fb_oauth_state"] = nonce  # replay with the cookie too
    response = callback(api_client, state)

    assert response.status_code == 400
    assert response.json() == INVALID_STATE


def test_expired_state_is_400(api_client, fake_graph):
    with time_machine.travel("2030-01-01 12:00:00", tick=False):
        state = authorize(api_client)["state"]
    with time_machine.travel("2030-01-01 12:10:01", tick=False):
        response = callback(api_client, state)

    assert response.status_code == 400
    assert response.json() == INVALID_STATE


def test_state_from_another_browser_is_400(api_client, fake_graph):
    """A callback URL made by an attacker (their state) cannot log a victim in."""
    from rest_framework.test import APIClient

    state = authorize(APIClient())["state"]

    response = callback(api_client, state)

    assert response.status_code == 400
    assert response.json() == INVALID_STATE


def test_missing_state_is_400(api_client, fake_graph):
    authorize(api_client)

    response = api_client.get(CALLBACK, {"code": "code-alice"})

    assert response.status_code == 400


def test_cancelled_dialog_is_400(api_client, fake_graph):
    state = authorize(api_client)["state"]

    response = api_client.get(CALLBACK, {"state": state, "error": "access_denied"})

    assert response.status_code == 400
    assert response.json() == error("facebook_login_cancelled", ANY)


def test_bad_code_is_400_facebook_token_invalid(api_client, fake_graph):
    state = authorize(api_client)["state"]

    response = callback(api_client, state, code="not-a-code")

    assert response.status_code == 400
    assert response.json() == error("facebook_token_invalid", ANY)
    assert not User.objects.exists()


def test_callback_with_facebook_down_is_503(api_client, fake_graph):
    state = authorize(api_client)["state"]
    fake_graph.down = True

    response = callback(api_client, state)

    assert response.status_code == 503
    assert response.json() == error("facebook_unavailable", ANY)
    assert not User.objects.exists()
