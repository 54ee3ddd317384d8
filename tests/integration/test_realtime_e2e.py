"""The real-time stream end to end: the ASGI server as `make run` starts it (daphne), the
Redis channel layer, PostgreSQL and a real Celery worker. A `websockets` client listens as
Alice while Bob acts over HTTP on the same server; the events arrive, and the delivery
latency is printed (`pytest -s` shows it). docs/reliability.md fault test 4: a socket that never
reads does not stop likes from succeeding, and I2 holds over REST.
"""

import base64
import os
import socket
import statistics
import time

import pytest
import requests
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import FriendshipFactory, TweetFactory, UserFactory
from tests.integration import realtime_fixtures
from tests.integration.realtime_fixtures import AsgiServer

# The server and reader fixtures live in realtime_fixtures.py (conftest.py is another
# suite's); naming them here is how pytest finds them.
asgi_server = realtime_fixtures.asgi_server
stream_reader = realtime_fixtures.stream_reader

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

IDLE_SECONDS = 7


def access_token(user) -> str:
    return str(RefreshToken.for_user(user).access_token)


def http_as(user) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {access_token(user)}"
    return session


def stream_url(server: AsgiServer, user) -> str:
    return f"{server.ws}/ws/stream/?token={access_token(user)}"


def is_notification(verb: str):
    return lambda event: event["type"] == "notification" and event["notification"]["verb"] == verb


def test_events_arrive_from_the_real_server(asgi_server, start_worker, stream_reader):
    start_worker(CHANNEL_LAYER_PREFIX=asgi_server.channel_prefix)
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    FriendshipFactory(follower=alice, followee=bob)
    tweet = TweetFactory(user=alice, text="my first chirp")
    api = f"{asgi_server.http}/api/v1"
    bob_http = http_as(bob)

    reader = stream_reader(stream_url(asgi_server, alice))
    reader.send({"type": "ping"})
    assert reader.next()[1] == {"type": "pong"}
    # A quiet socket must survive: its consumer waits in channels_redis's 5 s blocking pop,
    # which a shorter Redis read timeout would turn into a crash (and a 1011 close).
    time.sleep(IDLE_SECONDS)
    assert reader.close_code is None

    latencies: list[tuple[str, float, float]] = []

    def expect(name: str, request, predicate, *more: tuple[str, object]) -> dict:
        """Make the request; wait for the event(s) it causes, timing each from the request
        and from its response. `more` are (name, predicate) of further events it causes."""
        sent = time.monotonic()
        response = request()
        answered = time.monotonic()
        assert response.status_code in (200, 201), response.text
        events = {}
        for label, wanted in ((name, predicate), *more):
            arrived, events[label] = reader.next(wanted)
            latencies.append((label, (arrived - sent) * 1000, (arrived - answered) * 1000))
        return events[name] if not more else events

    event = expect(
        "like",
        lambda: bob_http.post(f"{api}/tweets/{tweet.pk}/like/"),
        is_notification("liked_tweet"),
    )
    assert event["notification"]["tweet"] == {"id": tweet.pk, "text": "my first chirp"}
    assert event["notification"]["actor"]["username"] == "bob"
    assert event["unread_count"] == 1
    event = expect(
        "comment",
        lambda: bob_http.post(f"{api}/tweets/{tweet.pk}/comments/", json={"text": "welcome!"}),
        is_notification("commented"),
    )
    assert event["notification"]["comment"]["text"] == "welcome!"
    expect(
        "follow", lambda: bob_http.post(f"{api}/users/alice/follow/"), is_notification("followed")
    )
    expect(
        "retweet",
        lambda: bob_http.post(f"{api}/tweets/{tweet.pk}/retweet/"),
        is_notification("retweeted"),
    )
    # Alice follows Bob: the worker's fan-out also puts his tweet in her feed and says so.
    response = None

    def post_mention():
        nonlocal response
        response = bob_http.post(f"{api}/tweets/", json={"text": "hello @alice"})
        return response

    events = expect(
        "mention",
        post_mention,
        is_notification("mentioned"),
        (
            "newsfeed (worker fan-out)",
            # (Bob's retweet above was fanned out to Alice too: skip its event.)
            lambda event: event == {"type": "newsfeed", "tweet_id": response.json()["id"]},
        ),
    )
    assert events["mention"]["notification"]["tweet"]["id"] == response.json()["id"]
    conversation = bob_http.post(f"{api}/conversations/", json={"username": "alice"}).json()
    event = expect(
        "message",
        lambda: bob_http.post(
            f"{api}/conversations/{conversation['id']}/messages/", json={"text": "hi!"}
        ),
        lambda event: event["type"] == "message",
    )
    assert event["conversation_id"] == conversation["id"]
    assert event["message"]["text"] == "hi!"
    assert event["message"]["sender"]["username"] == "bob"

    # Nothing exists only on the socket: the REST list has every notification (I2).
    alice_http = http_as(alice)
    listed = alice_http.get(f"{api}/notifications/", params={"page_size": 100}).json()["results"]
    assert sorted(item["verb"] for item in listed) == sorted(
        ["liked_tweet", "commented", "followed", "retweeted", "mentioned", "message"]
    )
    assert alice_http.get(f"{api}/notifications/unread-count/").json() == {"unread_count": 6}

    print("\nreal-time delivery latency (daphne + Redis channel layer, this machine):")
    for name, from_request, from_response in latencies:
        print(
            f"  {name:<28} {from_request:7.1f} ms after the request, "
            f"{from_response:7.1f} ms after its response"
        )
    # The push happens on commit, before the response is written, so an event often
    # arrives before the HTTP answer (a negative "after its response").
    print(
        "  median after the request: "
        f"{statistics.median(latency for _, latency, _ in latencies):.1f} ms"
    )


def open_silent_socket(server: AsgiServer, token: str) -> socket.socket:
    """A WebSocket that completes the handshake and then never reads: its receive buffer
    is tiny, so the server's writes back up as soon as events come."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws/stream/?token={token} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{server.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    handshake = b""
    while not handshake.endswith(b"\r\n\r\n"):  # byte by byte: read nothing beyond it
        handshake += sock.recv(1)
    assert handshake.startswith(b"HTTP/1.1 101"), handshake
    return sock


def test_a_socket_that_never_reads_does_not_stop_likes(asgi_server, celery_worker, stream_reader):
    tweets_count = 100
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    tweets = [TweetFactory(user=alice, text=f"chirp {n}") for n in range(tweets_count)]
    api = f"{asgi_server.http}/api/v1"
    silent = open_silent_socket(asgi_server, access_token(alice))
    reader = stream_reader(stream_url(asgi_server, alice))
    reader.send({"type": "ping"})
    assert reader.next()[1] == {"type": "pong"}
    bob_http = http_as(bob)

    started = time.monotonic()
    statuses = []
    for tweet in tweets:
        url = f"{api}/tweets/{tweet.pk}/like/"
        statuses += [
            bob_http.post(url, timeout=10).status_code,
            bob_http.delete(url, timeout=10).status_code,
            bob_http.post(url, timeout=10).status_code,
        ]
    elapsed = time.monotonic() - started
    assert statuses == [200] * (3 * tweets_count)
    print(
        f"\n{2 * tweets_count} likes and {tweets_count} unlikes with a socket that never "
        f"reads: {elapsed:.1f} s ({elapsed / len(statuses) * 1000:.1f} ms per request)"
    )

    # I2 over REST: exactly one notification per liked tweet, like/unlike/like included.
    alice_http = http_as(alice)
    listed = []
    url, params = f"{api}/notifications/", {"page_size": 30}
    while url:
        body = alice_http.get(url, params=params).json()
        listed += body["results"]
        url, params = body["next"], None
    assert sorted(item["tweet"]["id"] for item in listed) == sorted(t.pk for t in tweets)
    assert {item["verb"] for item in listed} == {"liked_tweet"}
    assert alice_http.get(f"{api}/notifications/unread-count/").json() == {
        "unread_count": tweets_count
    }
    # The reading socket of the same user kept receiving up to the last like.
    last = tweets[-1].pk
    reader.next(
        lambda event: (
            event["type"] == "notification" and event["notification"]["tweet"]["id"] == last
        )
    )
    reader.send({"type": "ping"})
    reader.next(lambda event: event == {"type": "pong"})
    silent.close()
