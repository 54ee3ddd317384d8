"""What only a real ASGI server shows: daphne as `make run` starts it, a `websockets`
client, raw HTTP bodies. Each case answers in the envelope (HTTP) or closes with a
documented code (WebSocket), and leaves no traceback in the server's log."""

import pytest
import requests
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import UserFactory
from tests.integration import realtime_fixtures

asgi_server = realtime_fixtures.asgi_server

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
