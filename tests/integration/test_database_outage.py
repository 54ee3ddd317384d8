"""PostgreSQL stopped (docs/reliability.md fault test 9): every endpoint answers 503
`service_unavailable` with Retry-After, never 500, whichever layer meets the dead database
first (DRF views, JWT and session authentication, Django's own views, the WebSocket
handshake); `/healthz` stays 200 and `/readyz` names the database. When PostgreSQL is back
the same server processes answer normally again, with no restart.

The servers are the production arrangement (tests/integration/servers.py: gunicorn for
HTTP, whose threads keep persistent connections, and daphne for /ws/, whose connections come
from a pool) on a PostgreSQL cluster of this test's own, which the test stops and starts
(never the shared one). DEBUG is on only so that the admin and api-auth pages render without
collected static files; tests/core/test_errors_api.py checks the 503 with DEBUG off too.
"""

from functools import partial

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from core.outages import RETRY_AFTER_SECONDS
from notifications.consumers import TRY_AGAIN_LATER
from tests.integration import processes
from tests.integration.processes import call, wait_for_status
from tests.integration.servers import Servers, server_environment, start_production

# Fixtures of processes.py (conftest.py is another suite's): naming them is how pytest
# finds them.
postgres_cluster = processes.postgres_cluster

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-9"


def signup(http, username: str) -> dict:
    answer = http(
        "POST",
        "/api/v1/auth/signup/",
        {"username": username, "email": f"{username}@example.com", "password": PASSWORD},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def form_login(http, path: str, username: str | None) -> requests.Session:
    """A browser session on a Django login form (admin, api-auth): the CSRF cookie, and with
    a username, signed in."""
    session = requests.Session()
    answer = http("GET", path, session=session, headers={"Accept": "text/html"})
    assert answer.status_code == 200, answer.text
    if username is not None:
        answer = http(
            "POST",
            path,
            session=session,
            data={
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            allow_redirects=False,
        )
        assert answer.status_code == 302, answer.text
        assert "sessionid" in session.cookies
    return session


def stream_close_code(servers: Servers, token: str) -> int | None:
    """Open the stream socket and return the close code the server sends (None: it stays
    open, and answers a ping)."""
    with connect(f"{servers.ws_url}/ws/stream/?token={token}", open_timeout=15) as socket:
        try:
            socket.send('{"type": "ping"}')
            assert socket.recv(timeout=10) == '{"type": "pong"}'
        except ConnectionClosed:
            return socket.close_code
        return None


@pytest.fixture
def servers(postgres_cluster, broker, settings, tmp_path):
    environment = {
        **server_environment(settings, broker),
        "DATABASE_URL": postgres_cluster.url("chirp"),
        "DJANGO_DEBUG": "true",
        "THROTTLE_ENABLED": "true",
        "LOG_LEVEL": "INFO",
    }
    servers = start_production(environment, tmp_path)
    try:
        yield servers
    finally:
        servers.stop()
        print(servers.logs())


def test_postgres_stopped_every_endpoint_is_503_and_recovers_without_restart(
    servers, postgres_cluster
):
    http = partial(call, servers["web"].url)
    alice = signup(http, "alice")
    bob = signup(http, "bob")
    postgres_cluster.psql(
        "chirp", "UPDATE accounts_user SET is_staff = true WHERE username = 'alice'"
    )
    token = alice["access"]
    tweet = http("POST", "/api/v1/tweets/", {"text": "before"}, token=token).json()
    admin = form_login(http, "/admin/login/", "alice")
    browsable = form_login(http, "/api-auth/login/", "bob")
    anonymous = form_login(http, "/api-auth/login/", None)  # a CSRF cookie, no user
    form = {"username": "bob", "password": PASSWORD}

    def everything() -> dict[str, requests.Response]:
        """One request for each way a request reaches the database."""
        csrf = {"csrfmiddlewaretoken": anonymous.cookies["csrftoken"]}
        no_redirect = {"allow_redirects": False}
        return {
            "anonymous list": http("GET", "/api/v1/tweets/"),
            "anonymous detail": http("GET", f"/api/v1/tweets/{tweet['id']}/"),
            "profile": http("GET", "/api/v1/users/bob/"),
            "JWT user lookup": http("GET", "/api/v1/me/", token=token),
            "newsfeed": http("GET", "/api/v1/newsfeed/", token=token),
            "post": http("POST", "/api/v1/tweets/", {"text": "now"}, token=token),
            "like": http("POST", f"/api/v1/tweets/{tweet['id']}/like/", token=token),
            "follow": http("POST", "/api/v1/users/bob/follow/", token=token),
            "login": http("POST", "/api/v1/auth/login/", form),
            "refresh": http("POST", "/api/v1/auth/token/refresh/", {"refresh": bob["refresh"]}),
            "schema with a token": http("GET", "/api/schema/", token=token),
            "session on the API": http("GET", "/api/v1/me/", session=browsable),
            "admin index with a session": http("GET", "/admin/", session=admin),
            "admin login": http(
                "POST", "/admin/login/", session=anonymous, data={**form, **csrf}, **no_redirect
            ),
            "api-auth login": http(
                "POST", "/api-auth/login/", session=anonymous, data={**form, **csrf}, **no_redirect
            ),
        }

    postgres_cluster.stop()

    answers = everything()
    wrong = {
        name: (answer.status_code, answer.text[:200])
        for name, answer in answers.items()
        if answer.status_code != 503
        or answer.headers.get("Content-Type") != "application/json"
        or answer.json().get("code") != "service_unavailable"
        or answer.headers.get("Retry-After") != str(RETRY_AFTER_SECONDS)
    }
    assert not wrong, f"not a 503 service_unavailable with Retry-After: {wrong}"
    assert http("GET", "/healthz").status_code == 200
    ready = http("GET", "/readyz")
    assert ready.status_code == 503
    assert ready.json()["down"] == ["database"]
    assert stream_close_code(servers, token) == TRY_AGAIN_LATER
    log = "".join(server.log() for server in servers.servers)
    assert "Traceback" not in log
    assert "Internal Server Error" not in log

    postgres_cluster.start()

    wait_for_status(servers["web"].url, "/readyz", 200)
    assert not failures(everything()), "not recovered"
    assert stream_close_code(servers, token) is None

    # A restart that no request saw: every kept connection (gunicorn's threads', daphne's
    # pool's) is broken, and the first request on each must not notice.
    postgres_cluster.stop()
    postgres_cluster.start()

    assert stream_close_code(servers, token) is None
    answers = everything()
    assert not failures(answers), "a connection broken by the restart was used"
    assert answers["post"].status_code == 201


def failures(answers: dict[str, requests.Response]) -> dict[str, tuple[int, str]]:
    return {
        name: (answer.status_code, answer.text[:200])
        for name, answer in answers.items()
        if answer.status_code >= 400 and name != "refresh"  # bob's refresh token: used once
    }
