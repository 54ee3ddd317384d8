"""The servers as deployed hold under concurrent clients: no 5xx, and PostgreSQL connections
never above the bound docs/scaling.md documents (docs/reliability.md trap 11, fault test 11).

- The production arrangement (docker-compose.yml's web and ws command lines): 16 clients
  over /healthz, /me/ and /newsfeed/ plus WebSocket connects.
- `make run`'s daphne on PostgreSQL: before the pool, it kept a connection per request
  thread and answered 500 "too many clients" under 16 clients.
- nginx with deploy/nginx.conf in front: /ws/ reaches the ASGI server, and a client cannot
  choose the address the throttles see with X-Forwarded-For.
"""

import json
import shutil
import threading
import uuid
from collections import Counter

import pytest
import requests
from websockets.sync.client import connect

from config.celery import app as celery_app
from friendships.services import follow_user
from tests.conftest import service_missing
from tests.factories import UserFactory
from tests.integration import servers as serving
from tests.integration.servers import (
    Servers,
    drive,
    sample_connections,
    server_environment,
    start_make_run_server,
    start_production,
    start_proxy,
)
from tweets.services import create_tweet

# The fixture lives in servers.py, for any test to run against the production arrangement.
production_servers = serving.production_servers

pytestmark = [
    pytest.mark.integration,
    pytest.mark.real_password_hasher,  # the servers check passwords with the real hasher
    pytest.mark.timeout(240),
]

CLIENTS = 16
SECONDS = 4
PASSWORD = "a-long-passphrase-42"


@pytest.fixture
def readers(transactional_db):
    """Four users who follow each other and posted a few tweets each (fanned out)."""
    users = [UserFactory(password=PASSWORD) for _ in range(4)]
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        for user in users:
            for other in users:
                if other != user:
                    follow_user(follower=user, username=other.username)
            for n in range(3):
                create_tweet(author=user, text=f"tweet {n} by {user.username}")
    finally:
        celery_app.conf.task_always_eager = eager
    return users


def log_in(base_url: str, users) -> list[str]:
    tokens = []
    for user in users:
        response = requests.post(
            f"{base_url}/api/v1/auth/login/",
            json={"username": user.username, "password": PASSWORD},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        tokens.append(response.json()["access"])
    return tokens


def load(base_url: str, tokens: list[str], paths=("/healthz", "/api/v1/me/", "/api/v1/newsfeed/")):
    requests_ = [(path, token) for token in tokens for path in paths]
    return drive(base_url, requests_, clients=CLIENTS, seconds=SECONDS)


def assert_no_server_errors(results: dict[str, Counter]) -> None:
    for path, counts in results.items():
        bad = {status: n for status, n in counts.items() if status == "error" or status >= 500}
        assert not bad, f"{path}: {dict(counts)}"
        assert counts[200] > 0, f"{path}: {dict(counts)}"


def open_and_ping(ws_url: str, token: str) -> dict:
    with connect(f"{ws_url}/ws/stream/?token={token}", open_timeout=15) as socket:
        socket.send(json.dumps({"type": "ping"}))
        return json.loads(socket.recv(timeout=15))


def test_production_arrangement_holds_16_clients_within_its_connection_bound(
    readers, production_servers: Servers, celery_worker
):
    """16 clients reading, one posting (fanned out by a Celery worker of concurrency 2),
    WebSocket connects meanwhile: the bound is web's 2 x 4 threads + ws's pool of 4 +
    the worker's 2 pool processes."""
    servers = production_servers
    bound = servers.connection_bound + 2
    tokens = log_in(servers.http_url, readers)
    pongs: list[dict] = []
    posts: Counter = Counter()

    def sockets() -> None:
        for n in range(8):
            pongs.append(open_and_ping(servers.ws_url, tokens[n % len(tokens)]))

    def poster() -> None:
        for n in range(20):
            response = requests.post(
                f"{servers.http_url}/api/v1/tweets/",
                json={"text": f"posted under load {n}"},
                headers={"Authorization": f"Bearer {tokens[0]}"},
                timeout=30,
            )
            posts[response.status_code] += 1

    with sample_connections() as connections:
        side_work = [threading.Thread(target=sockets), threading.Thread(target=poster)]
        for thread in side_work:
            thread.start()
        results = load(servers.http_url, tokens)
        for thread in side_work:
            thread.join(timeout=60)

    assert_no_server_errors(results)
    assert pongs == [{"type": "pong"}] * 8
    assert posts == {201: 20}
    assert 0 < connections.max <= bound, (
        f"{connections.max} connections; bound {bound} = {servers.formula} + Celery (2)"
    )


def test_make_run_server_on_postgres_holds_16_clients_within_its_pool(
    readers, broker, settings, tmp_path
):
    environment = server_environment(settings, broker)
    server = start_make_run_server(environment, tmp_path)
    try:
        tokens = log_in(server.http_url, readers)
        with sample_connections() as connections:
            results = load(server.http_url, tokens, paths=("/api/v1/me/", "/api/v1/newsfeed/"))

        assert_no_server_errors(results)
        assert 0 < connections.max <= server.connection_bound == 4, (
            f"{connections.max} connections; bound {server.connection_bound} = {server.formula}"
        )
    finally:
        server.stop()
        print(server.logs())


def test_proxy_routes_websockets_and_keeps_the_client_address(readers, broker, settings, tmp_path):
    if shutil.which("nginx") is None and not shutil.which("/usr/sbin/nginx"):
        service_missing("the proxy test needs nginx (apt-get install nginx-light)")
    environment = {
        **server_environment(settings, broker),
        # Login limited per address: what X-Forwarded-For would let a client escape.
        "THROTTLE_ENABLED": "true",
        "THROTTLE_RATES": "login=2/min",
        "DJANGO_NUM_PROXIES": "1",  # as in docker-compose.yml: one proxy, this nginx
    }
    servers = start_production(environment, tmp_path, web_concurrency=1, web_threads=2)
    try:
        start_proxy(servers, tmp_path)
        assert requests.get(f"{servers.http_url}/healthz", timeout=10).status_code == 200
        tokens = log_in(servers.http_url, readers[:2])  # the two logins the rate allows
        assert open_and_ping(servers.ws_url, tokens[0]) == {"type": "pong"}

        # Every further attempt claims another address; the proxy appends the real one,
        # which is the entry the app trusts: still one client, still limited.
        statuses = [
            requests.post(
                f"{servers.http_url}/api/v1/auth/login/",
                json={"username": f"nobody{uuid.uuid4().hex[:8]}", "password": "wrong-pass"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
                timeout=30,
            ).status_code
            for n in range(3)
        ]
        assert statuses == [429, 429, 429]
    finally:
        servers.stop()
        print(servers.logs())
