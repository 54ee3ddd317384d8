"""Shared helpers of the Facebook tests."""

import time

from facebook_connect.models import FacebookAccount
from fakegraph.server import appsecret_proof, signed_request

LOGIN = "/api/v1/auth/facebook/"
ME_FACEBOOK = "/api/v1/me/facebook/"

__all__ = ["LOGIN", "ME_FACEBOOK", "account_of", "fb_login", "signed", "signed_request"]


def fb_login(client, token: str):
    return client.post(LOGIN, {"access_token": token}, format="json")


def account_of(user) -> FacebookAccount:
    return FacebookAccount.objects.get(user=user)


def signed(user_id: str, *, age: int = 0, **extra) -> str:
    payload = {
        "algorithm": "HMAC-SHA256",
        "issued_at": int(time.time()) - age,
        "user_id": user_id,
        **extra,
    }
    return signed_request(payload)


def assert_every_call_proved(server) -> None:
    """Every request the fake Graph server saw with a token carried that token's
    appsecret_proof; the token exchanges carried the app secret in the body, not the URL."""
    assert server.requests, "the fake Graph server saw no request"
    for request in server.requests:
        if request.path.startswith("/pictures/"):
            continue  # the avatar CDN, not the Graph API
        if request.path == "/oauth/access_token":
            assert request.method == "POST"
            assert "client_secret" in request.form and "client_secret" not in request.query
            continue
        assert request.token, f"{request.method} {request.path} carried no token"
        assert request.query.get("appsecret_proof") == appsecret_proof(request.token), (
            f"{request.method} {request.path} without a valid appsecret_proof"
        )
        assert "access_token" not in request.query, "a token travelled in a URL"
