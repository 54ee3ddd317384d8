"""Idempotency-Key under real concurrency (docs/api-writes.md): clients that send one POST
with one key at the same moment, over HTTP to a live server on PostgreSQL, create one tweet;
every other answer is 409 `idempotency_key_in_use` or the replay of the first."""

import json
import threading
import urllib.error
import urllib.request

import pytest
from django.db import connection
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import UserFactory
from tweets.models import Tweet

CLIENTS = 8

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def send(url: str, headers: dict, body: bytes) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as refused:
        return refused.code, dict(refused.headers), refused.read()


def test_simultaneous_posts_with_one_key_create_one_tweet(live_server):
    assert connection.vendor == "postgresql"
    alice = UserFactory(username="alice")
    headers = {
        "Authorization": f"Bearer {RefreshToken.for_user(alice).access_token}",
        "Content-Type": "application/json",
        "Idempotency-Key": "one-tweet",
    }
    body = json.dumps({"text": "sent once, received once"}).encode()
    url = f"{live_server.url}/api/v1/tweets/"
    barrier = threading.Barrier(CLIENTS)
    answers: list[tuple[int, dict, bytes]] = []

    def client() -> None:
        barrier.wait(timeout=30)
        answers.append(send(url, headers, body))

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(answers) == CLIENTS
    assert Tweet.objects.filter(user=alice).count() == 1
    firsts = [a for a in answers if a[0] == 201 and "Idempotent-Replayed" not in a[1]]
    assert len(firsts) == 1
    for status, _headers, content in answers:
        if status == 201:
            assert content == firsts[0][2]
        else:
            assert status == 409, (status, content)
            assert json.loads(content)["code"] == "idempotency_key_in_use"
