"""OAuth 2.0 as Mastodon clients use it: apps, the login and consent page, tokens, PKCE,
client credentials, revocation; OAuth tokens and Chirp's JWTs both call the layer."""

import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.mastodon_api.helpers import (
    REDIRECT,
    ROOT,
    authorize_url,
    client_credentials,
    code_from,
    code_grant,
    hidden_fields,
    make_token,
    pkce_pair,
)

pytestmark = pytest.mark.django_db


def register(client, scopes="read write follow push"):
    response = client.post(
        f"{ROOT}/api/v1/apps",
        {"client_name": "Tusky", "redirect_uris": REDIRECT, "scopes": scopes, "website": ""},
    )
    assert response.status_code == 200, response.content
    return response.json()


def authorize(client: Client, app: dict, *, challenge: str | None, scope="read write follow"):
    """Log in through the login page and allow on the consent page: the code."""
    url = authorize_url(app["client_id"], challenge, scope)
    response = client.get(url)
    assert response.status_code == 302
    login_page = response["Location"]
    assert login_page.startswith("/api-auth/login/?next=")
    response = client.post(
        login_page, {"username": "carol", "password": "pw-carol-123", "next": url}
    )
    assert response.status_code == 302, response.content
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Authorize Tusky?" in page
    form = hidden_fields(page)
    response = client.post(url, {**form, "allow": "Authorize"})
    assert response.status_code == 302, response.content
    assert response["Location"].startswith(REDIRECT)
    return code_from(response["Location"])


@pytest.fixture
def carol(db):
    user = UserFactory(username="carol")
    user.set_password("pw-carol-123")
    user.save()
    return user


def test_register_app_answers_the_credential_application():
    body = register(Client())
    assert set(body) == {
        "id", "name", "website", "scopes", "redirect_uri", "redirect_uris", "vapid_key",
        "client_id", "client_secret", "client_secret_expires_at",
    }  # fmt: skip
    assert body["name"] == "Tusky"
    assert body["scopes"] == ["read", "write", "follow", "push"]
    assert body["redirect_uris"] == [REDIRECT]
    assert body["client_secret_expires_at"] == 0


def test_register_app_with_an_unknown_scope_is_422_or_400():
    response = Client().post(
        f"{ROOT}/api/v1/apps",
        {"client_name": "x", "redirect_uris": REDIRECT, "scopes": "read admin:everything"},
    )
    assert response.status_code == 400
    assert "error" in response.json()


def test_code_flow_with_pkce_gives_a_token_that_calls_the_layer(carol):
    client = Client()
    app = register(client)
    verifier, challenge = pkce_pair()
    code = authorize(client, app, challenge=challenge)
    response = Client().post(f"{ROOT}/oauth/token", code_grant(app, code, verifier))
    assert response.status_code == 200, response.content
    token = response.json()
    assert set(token) == {"access_token", "token_type", "scope", "created_at"}
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "read write follow"
    me = Client().get(
        f"{ROOT}/api/v1/accounts/verify_credentials",
        HTTP_AUTHORIZATION=f"Bearer {token['access_token']}",
    )
    assert me.status_code == 200, me.content
    assert me.json()["username"] == "carol"


def test_a_code_with_the_wrong_verifier_is_refused(carol):
    client = Client()
    app = register(client)
    _, challenge = pkce_pair()
    code = authorize(client, app, challenge=challenge)
    response = Client().post(f"{ROOT}/oauth/token", code_grant(app, code, pkce_pair()[0]))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_scopes_beyond_the_apps_are_refused(carol):
    client = Client()
    app = register(client, scopes="read")
    client.force_login(carol)
    response = client.get(authorize_url(app["client_id"], None, scope="read write"))
    assert response.status_code == 302
    assert "error=invalid_scope" in response["Location"]


def test_client_credentials_token_is_the_apps_not_a_users():
    app = register(Client())
    response = Client().post(f"{ROOT}/oauth/token", client_credentials(app))
    assert response.status_code == 200, response.content
    bearer = f"Bearer {response.json()['access_token']}"
    verified = Client().get(f"{ROOT}/api/v1/apps/verify_credentials", HTTP_AUTHORIZATION=bearer)
    assert verified.status_code == 200
    assert verified.json()["name"] == "Tusky"
    # An app token has no account: Mastodon answers 422 with this error (after the scope
    # check: the token is `read`, so a write is 403 first); public reads still answer.
    for path in ["/api/v1/accounts/verify_credentials", "/api/v1/timelines/home"]:
        me = Client().get(f"{ROOT}{path}", HTTP_AUTHORIZATION=bearer)
        assert me.status_code == 422, (path, me.content)
        assert me.json() == {
            "error": "This method requires an authenticated user",
            "code": "user_required",
        }
    post = Client().post(f"{ROOT}/api/v1/statuses", {"status": "x"}, HTTP_AUTHORIZATION=bearer)
    assert post.status_code == 403
    assert Client().get(f"{ROOT}/api/v1/instance", HTTP_AUTHORIZATION=bearer).status_code == 200


def test_password_grant_is_off_by_default(carol):
    app = register(Client())
    response = Client().post(
        f"{ROOT}/oauth/token",
        {
            "grant_type": "password",
            "username": "carol",
            "password": "pw-carol-123",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": "read",
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_revoked_token_no_longer_calls_the_layer(carol):
    app = register(Client())
    token = make_token(carol, app, "revoke-me-token", scope="read")
    bearer = f"Bearer {token.token}"
    url = f"{ROOT}/api/v1/accounts/verify_credentials"
    assert Client().get(url, HTTP_AUTHORIZATION=bearer).status_code == 200
    response = Client().post(
        f"{ROOT}/oauth/revoke",
        {
            "token": token.token,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )
    assert response.status_code == 200
    assert response.json() == {}
    assert Client().get(url, HTTP_AUTHORIZATION=bearer).status_code == 401


def test_a_read_token_cannot_write(carol):
    app = register(Client())
    make_token(carol, app, "read-only", scope="read")
    response = Client().patch(
        f"{ROOT}/api/v1/accounts/update_credentials",
        {"display_name": "C"},
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer read-only",
    )
    assert response.status_code == 403
    assert response.json()["error"] == "This action is outside the authorized scopes"


def test_chirp_jwt_calls_the_layer(carol, make_auth_client):
    client = make_auth_client(carol)
    response = client.get(f"{ROOT}/api/v1/accounts/verify_credentials")
    assert response.status_code == 200
    assert response.json()["username"] == "carol"


def test_oauth_server_metadata_names_the_endpoints():
    body = Client().get(f"{ROOT}/.well-known/oauth-authorization-server").json()
    assert body["token_endpoint"] == f"http://testserver{ROOT}/oauth/token"
    assert body["grant_types_supported"] == ["authorization_code", "client_credentials"]
    assert body["code_challenge_methods_supported"] == ["S256"]


def test_oob_redirect_shows_the_code(carol):
    client = Client()
    response = client.post(
        f"{ROOT}/api/v1/apps",
        {"client_name": "toot", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read"},
    )
    app = response.json()
    client.force_login(carol)
    url = (
        f"{ROOT}/oauth/authorize?client_id={app['client_id']}&response_type=code"
        "&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=read"
    )
    page = client.get(url).content.decode()
    form = hidden_fields(page)
    response = client.post(url, {**form, "allow": "Authorize"})
    assert response.status_code == 200
    assert 'id="code"' in response.content.decode()


def test_mastodon_host_serves_the_layer_at_its_root(settings):
    settings.MASTODON_HOST = "social.chirp.test"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "social.chirp.test"]
    client = Client(HTTP_HOST="social.chirp.test")
    response = client.get("/api/v1/instance")
    assert response.status_code == 200
    assert response.json()["uri"] == "social.chirp.test"
    metadata = client.get("/.well-known/oauth-authorization-server").json()
    assert metadata["token_endpoint"] == "http://social.chirp.test/oauth/token"
    # Chirp's own API still answers on that host where Mastodon has no such path.
    assert client.get("/api/v1/trends/").status_code == 200
    # Other hosts keep the layer under the prefix only.
    assert Client().get("/api/v1/instance").status_code == 404
