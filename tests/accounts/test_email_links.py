"""Email links open pages this server serves, on the host and port the request that
caused the email came to (or FRONTEND_URL when set); tokens travel only in the fragment."""

from urllib.parse import urlsplit

import pytest
from rest_framework.test import APIClient

from tests.accounts.links import email_link, link_params
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOST = "127.0.0.1:18577"  # what a browser sends when the server runs on another port
STRONG_PASSWORD = "correct-horse-battery-staple-9"


def sign_up(client=None, **extra):
    client = client or APIClient()
    body = {"username": "dora", "email": "dora@example.com", "password": STRONG_PASSWORD}
    return client.post("/api/v1/auth/signup/", body, format="json", **extra)


def test_the_verification_link_opens_this_server_on_the_requests_host_and_port(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert sign_up(HTTP_HOST=HOST).status_code == 201

    link = urlsplit(email_link(mailoutbox[0], "verify-email"))
    assert (link.scheme, link.netloc, link.path, link.query) == ("http", HOST, "/verify-email/", "")
    assert set(link_params(mailoutbox[0], "verify-email")) == {"token"}


def test_the_reset_link_opens_this_server_with_uid_and_token_in_the_fragment(
    mailoutbox, django_capture_on_commit_callbacks
):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        APIClient().post(
            "/api/v1/auth/password/reset/", {"email": user.email}, format="json", HTTP_HOST=HOST
        )

    link = urlsplit(email_link(mailoutbox[0], "reset-password"))
    assert (link.netloc, link.path, link.query) == (HOST, "/reset-password/", "")
    assert set(link_params(mailoutbox[0], "reset-password")) == {"uid", "token"}


@pytest.mark.parametrize("how", ["resend", "email_change"])
def test_every_verification_email_links_to_the_requests_host(
    how, make_auth_client, mailoutbox, django_capture_on_commit_callbacks
):
    client = make_auth_client(UserFactory(email_verified=False))
    with django_capture_on_commit_callbacks(execute=True):
        if how == "resend":
            client.post("/api/v1/auth/email/resend/", HTTP_HOST=HOST)
        else:
            client.patch("/api/v1/me/", {"email": "new@example.com"}, HTTP_HOST=HOST)

    assert urlsplit(email_link(mailoutbox[0], "verify-email")).netloc == HOST


def test_frontend_url_when_set_is_where_links_point(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.FRONTEND_URL = "https://app.chirp.example/"
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(HTTP_HOST=HOST)

    assert email_link(mailoutbox[0], "verify-email").startswith(
        "https://app.chirp.example/verify-email/#token="
    )


@pytest.mark.parametrize(
    ("path", "api"),
    [
        ("/verify-email/", "/api/v1/auth/email/verify/"),
        ("/reset-password/", "/api/v1/auth/password/reset/confirm/"),
    ],
)
def test_the_pages_links_open_post_to_the_api(client, path, api):
    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert f'fetch("{api}"' in page
    assert "location.hash" in page  # the token is read from the fragment
