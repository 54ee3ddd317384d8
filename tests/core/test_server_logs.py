"""What `make run` prints: one line per failed request, one traceback per 500, no noise.

A real server (tests/embedded_server.py: daphne as `make run` starts it) with the failing
views of boom_urls; its whole output is read after it stops.
"""

import re

import pytest

from tests import embedded_server

embedded_database = embedded_server.embedded_database
start_server = embedded_server.start_server

pytestmark = pytest.mark.slow  # a server process, migrated and seeded once per test process

CLIENT_ERRORS = [
    # (method, path, body, expected status)
    ("GET", "/api/v1/users/nobody/", None, 404),
    ("POST", "/api/v1/auth/signup/", {}, 400),
    ("GET", "/api/v1/me/", None, 401),
    ("GET", "/no-such-page/", None, 404),
    ("GET", "/api/v1/tweets/999999/", None, 404),
]
SERVER_ERRORS = [
    # A DRF view failing for a browser (the browsable API's 500) and a plain Django view.
    ("/api/v1/test-boom/drf/", "text/html"),
    ("/api/v1/test-boom/django/", "application/json"),
]


def lines_mentioning(log: str, text: str) -> list[str]:
    return [line for line in log.splitlines() if text in line]


def test_each_failed_request_is_logged_once_and_only_500s_have_a_traceback(start_server):
    server = start_server(DJANGO_SETTINGS_MODULE="tests.core.boom_settings")

    for method, path, body, expected in CLIENT_ERRORS:
        status, answer = server.request(method, path, body)
        assert status == expected, (path, answer)
    status, _ = server.request("GET", "/healthz", headers={"Host": "evil.example"})
    assert status == 400
    for path, accept in SERVER_ERRORS:
        status, _ = server.request("GET", path, headers={"Accept": accept})
        assert status == 500
    assert server.stop() == 0
    log = server.log()

    # A client error: the access log's line, nothing else (Django's own "Not Found: ..."
    # lines printed it a second and third time with DEBUG on).
    for method, path, _, expected in CLIENT_ERRORS:
        lines = lines_mentioning(log, path)
        assert len(lines) == 1, lines
        assert f'"{method} {path}" {expected}' in lines[0]
    # A Host not allowed: the reason, on one line, without a traceback.
    assert len(lines_mentioning(log, "Invalid HTTP_HOST header: 'evil.example'")) == 1
    # A 500: its traceback once, and one "Internal Server Error" line (it was logged again,
    # without the traceback, when the error page became JSON).
    assert log.count("Traceback (most recent call last)") == len(SERVER_ERRORS)
    for path, _ in SERVER_ERRORS:
        assert len(lines_mentioning(log, f"Internal Server Error: {path}")) == 1
        assert len(lines_mentioning(log, f'"GET {path}" 500')) == 1
    assert len(re.findall(r"RuntimeError: kaboom-internal-detail", log)) == len(SERVER_ERRORS)
    # No `.env not found` (django-environ) when the project has no .env.
    assert ".env not found" not in log
