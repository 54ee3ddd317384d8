"""Shared by the Mastodon layer's tests: the instance root, registering an app and
authorizing it through the login and consent pages (code + PKCE), with Django's test
client or with `requests` against a live server."""

import base64
import hashlib
import html
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = "/mastodon"
REDIRECT = "http://127.0.0.1/callback"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize_url(client_id: str, challenge: str | None, scope: str = "read write follow") -> str:
    params = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "xyz",
    }
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    return f"{ROOT}/oauth/authorize?{urlencode(params)}"


def hidden_fields(page: str) -> dict[str, str]:
    fields = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            fields[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return fields


def code_from(location: str) -> str:
    query = parse_qs(urlsplit(location).query)
    assert query.get("state") == ["xyz"], location
    return query["code"][0]


def code_grant(app: dict, code: str, verifier: str | None) -> dict:
    """The token request of the authorization code grant (with PKCE's verifier)."""
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "redirect_uri": REDIRECT,
    }
    if verifier:
        body["code_verifier"] = verifier
    return body


def client_credentials(app: dict) -> dict:
    return {
        "grant_type": "client_credentials",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "scope": "read",
    }


def make_token(user, app: dict, token: str, scope: str = "read write follow"):
    """An access token of `app` for `user`, as the code grant would have issued it."""
    from oauth2_provider.models import AccessToken

    return AccessToken.objects.create(
        user=user, application_id=app["id"], token=token, scope=scope,
        expires="2099-01-01T00:00:00Z",
    )  # fmt: skip
