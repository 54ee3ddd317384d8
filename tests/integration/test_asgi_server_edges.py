"""What only a real ASGI server shows: daphne as `make run` starts it, a `websockets`
client, raw HTTP bodies. Each case answers in the envelope (HTTP) or closes with a
documented code (WebSocket), and leaves no traceback in the server's log."""

import pytest
import requests
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from core.websocket import NOT_FOUND, TRY_AGAIN_LATER, UNAUTHORIZED
from tests.factories import UserFactory
from tests.integration import realtime_fixtures

asgi_server = realtime_fixtures.asgi_server
start_asgi_server = realtime_fixtures.start_asgi_server

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


# --- multipart bodies daphne used to answer itself, with no body ---------------------------

NO_TEXT = {
    "code": "validation_error",
    "detail": "Invalid input.",
    "fields": {"text": ["A tweet needs text or photos."]},
}


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        # What a client sends for a form with no fields: only the closing boundary.
        ("multipart/form-data; boundary=x", b"--x--\r\n", NO_TEXT),
        ("multipart/form-data; boundary=x", b"", NO_TEXT),
        ("multipart/form-data; boundary=x", b"--y\r\nnot a part\r\n--y--\r\n", NO_TEXT),
        (
            "multipart/form-data",
            b"--x\r\nnot a part\r\n--x--\r\n",
            {
                "code": "parse_error",
                "detail": "Multipart form parse error - Invalid boundary in multipart: None",
            },
        ),
    ],
    ids=["only-closing-boundary", "empty", "wrong-boundary", "no-boundary"],
)
def test_a_broken_or_empty_multipart_post_is_400_in_the_envelope(
    asgi_server, content_type, body, expected
):
    response = requests.post(
        f"{asgi_server.http}/api/v1/tweets/",
        data=body,
        headers={**bearer(UserFactory()), "Content-Type": content_type},
        timeout=10,
    )

    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == expected
    assert "Traceback" not in asgi_server.log()


# --- WebSocket close codes -------------------------------------------------------------------


def close_code_of(url: str) -> int | None:
    """Open a socket at `url` and wait for the server to close it; its close code."""
    with connect(url, open_timeout=10, close_timeout=2) as ws:
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        return ws.close_code


def assert_clean_log(server) -> None:
    log = server.log()
    assert "Traceback" not in log
    assert "No route found" not in log


@pytest.mark.parametrize("path", ["/ws/nowhere/", "/ws/stream/more/", "/", "/api/v1/me/"])
def test_a_socket_to_an_unknown_path_is_closed_with_4404(asgi_server, path):
    assert close_code_of(f"{asgi_server.ws}{path}") == NOT_FOUND
    assert_clean_log(asgi_server)


@pytest.mark.parametrize("user_id", ["abc", 1.5, [1], None], ids=repr)
def test_a_signed_token_whose_user_id_is_not_an_id_is_closed_with_4401(asgi_server, user_id):
    token = AccessToken.for_user(UserFactory())
    token["user_id"] = user_id

    assert close_code_of(f"{asgi_server.ws}/ws/stream/?token={token}") == UNAUTHORIZED
    assert_clean_log(asgi_server)


def test_the_stream_is_closed_with_4503_when_the_channel_layer_is_unreachable(
    start_asgi_server,
):
    # Port 1: nothing listens, the connection is refused at once.
    server = start_asgi_server(CHANNEL_LAYER_URL="redis://127.0.0.1:1/0")
    token = AccessToken.for_user(UserFactory())

    assert close_code_of(f"{server.ws}/ws/stream/?token={token}") == TRY_AGAIN_LATER
