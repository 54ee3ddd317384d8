"""Requests the servers refuse before Django sees them answer in the API's envelope too
(docs/errors.md): a request line over 8 KB (414), a header over 8 KB (431), a request that
cannot be parsed (400). Through nginx with deploy/nginx.conf, as docker-compose runs it,
and from gunicorn directly; a request line between gunicorn's default limit (4094 bytes,
which answered an HTML 414) and the proxy's reaches the application."""

import json
import shutil
import socket

import pytest
import requests

from tests.conftest import service_missing
from tests.integration.servers import production, server_environment, start_proxy

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TOO_LONG = "/api/v1/tweets/?q=" + "a" * 9000
LONG_BUT_FINE = "/api/v1/no-such-thing/?q=" + "a" * 6000


@pytest.fixture
def servers(broker, settings, tmp_path):
    if shutil.which("nginx") is None and not shutil.which("/usr/sbin/nginx"):
        service_missing("the proxy test needs nginx (apt-get install nginx-light)")
    with production(server_environment(settings, broker), tmp_path, web_concurrency=1) as servers:
        start_proxy(servers, tmp_path)
        yield servers


def raw_request(url: str, data: bytes) -> tuple[int, str, bytes]:
    """Send bytes as they are; returns the status, the Content-Type and the body."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers.get("Content-Type", ""), body


def assert_envelope(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["code"] == code


def test_requests_refused_before_django_answer_in_the_envelope(servers):
    """One server start for every case: through the proxy, then to gunicorn directly."""
    for base in (servers.proxy.url, servers["web"].url):
        assert_envelope(requests.get(base + TOO_LONG, timeout=10), 414, "uri_too_long")
        # Between gunicorn's default limit (4094 bytes) and the proxy's: the application's.
        assert_envelope(requests.get(base + LONG_BUT_FINE, timeout=10), 404, "not_found")
        big_header = {"X-Big": "b" * 9000}
        response = requests.get(base + "/api/v1/tweets/", headers=big_header, timeout=10)
        assert_envelope(response, 431, "header_too_large")
        status, content_type, body = raw_request(base, b"NOT AN HTTP REQUEST\r\n\r\n")
        assert (status, content_type) == (400, "application/json"), (base, body)
        assert json.loads(body)["code"] == "bad_request"
