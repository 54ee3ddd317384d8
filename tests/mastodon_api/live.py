"""A live server and real clients for the Mastodon layer: authorizing an app the way a
browser does (login page, consent page, code + PKCE) against a server started by the test."""

import contextlib
import json
import re
from collections.abc import Iterator

import requests
from mastodon import Mastodon, StreamListener
from websockets.sync.client import ClientConnection, connect

from demo.seed import DEMO_PASSWORD
from tests.mastodon_api.helpers import (
    REDIRECT,
    ROOT,
    authorize_url,
    code_from,
    code_grant,
    hidden_fields,
    pkce_pair,
)

SCOPES = ["read", "write", "follow", "push"]


def base_url(server) -> str:
    return f"{server.http}{ROOT}"


def browser_authorize(server, client_id: str, username: str, *, challenge: str | None) -> str:
    """What a person does in the browser: open the authorize URL, log in, allow. The code."""
    url = server.http + authorize_url(client_id, challenge, " ".join(SCOPES))
    response = log_in_and_allow(url, username)
    assert response.status_code == 302, response.text[:500]
    return code_from(response.headers["Location"])


def oob_code(url: str, username: str) -> str:
    """The same for an app whose redirect URI is `urn:ietf:wg:oauth:2.0:oob`: the code is
    shown on the page, for the person to paste into the app."""
    response = log_in_and_allow(url, username)
    assert response.status_code == 200, response.text[:500]
    return re.search(r'id="code"[^>]*value="([^"]+)"', response.text).group(1)


def log_in_and_allow(url: str, username: str) -> requests.Response:
    browser = requests.Session()
    response = browser.get(url, timeout=30)  # redirected to the login page
    assert "/api-auth/login/" in response.url, response.url
    form = hidden_fields(response.text)
    response = browser.post(
        response.url,
        {**form, "username": username, "password": DEMO_PASSWORD},
        headers={"Referer": response.url},
        timeout=30,
    )
    assert response.status_code == 200 and "Authorize" in response.text, response.text[:500]
    form = hidden_fields(response.text)
    return browser.post(
        response.url,
        {**form, "allow": "Authorize"},
        headers={"Referer": response.url},
        allow_redirects=False,
        timeout=30,
    )


def pkce_client(server, username: str, app_name: str = "Chirp tests") -> Mastodon:
    """Register an app with Mastodon.py, authorize it with a code and PKCE (which
    Mastodon.py does not send itself: its token request is made here), and answer a
    Mastodon.py client holding the token."""
    client_id, client_secret = Mastodon.create_app(
        app_name, scopes=SCOPES, redirect_uris=REDIRECT, api_base_url=base_url(server)
    )
    verifier, challenge = pkce_pair()
    code = browser_authorize(server, client_id, username, challenge=challenge)
    app = {"client_id": client_id, "client_secret": client_secret}
    response = requests.post(
        f"{base_url(server)}/oauth/token", data=code_grant(app, code, verifier), timeout=30
    )
    assert response.status_code == 200, response.text
    return Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        access_token=response.json()["access_token"],
        api_base_url=base_url(server),
    )


class Collector(StreamListener):
    """Mastodon.py's listener, parsing what the socket sends as Mastodon.py's own
    WebSocket transport does (`handle_websocket_message`): what arrived, by event."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def on_update(self, status) -> None:
        self.events.append(("update", status))

    def on_delete(self, status_id) -> None:
        self.events.append(("delete", status_id))

    def on_notification(self, notification) -> None:
        self.events.append(("notification", notification))


@contextlib.contextmanager
def user_stream(server, client: Mastodon) -> Iterator[ClientConnection]:
    """The user stream of a Mastodon.py client's token over a real WebSocket to the live
    server (Mastodon.py's own WebSocket transport needs websocket-client, which the tests do
    not install), open once a ping is answered (the token is checked after the handshake)."""
    url = f"{server.http.replace('http', 'ws', 1)}{ROOT}/api/v1/streaming?stream=user"
    headers = {"Authorization": f"Bearer {client.access_token}"}
    with connect(url, additional_headers=headers, open_timeout=30) as socket:
        socket.send(json.dumps({"type": "ping"}))
        assert json.loads(socket.recv(timeout=30)) == {"type": "pong"}
        yield socket


def receive_until(socket: ClientConnection, listener: Collector, event: str, timeout=30):
    """Hand each frame to the listener until one of `event` arrived; answer its payload."""
    while True:
        listener.handle_websocket_message(json.loads(socket.recv(timeout=timeout)))
        name, payload = listener.events[-1]
        if name == event:
            return payload
