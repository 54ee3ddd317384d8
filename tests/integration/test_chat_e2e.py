"""Chat end to end (docs/realtime.md, "Client to server"): daphne as `make run` starts it,
the Redis channel layer and PostgreSQL, with real WebSocket clients. Messages sent over
one socket are acknowledged with their stored id and arrive on the others; a client id
repeated after a reconnect stores one message; typing and read events arrive; a group of
three gets every message once; a socket that never reads is closed with 4408 at a bounded
buffer while REST still has everything.
"""

import collections
import time

import pytest

from tests.factories import UserFactory
from tests.integration import realtime_fixtures
from tests.integration.test_realtime_e2e import (
    access_token,
    http_as,
    open_silent_socket,
    stream_url,
)
from tests.messaging.test_chat_socket import send_frame

asgi_server = realtime_fixtures.asgi_server
start_asgi_server = realtime_fixtures.start_asgi_server
stream_reader = realtime_fixtures.stream_reader

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def of_type(kind: str, **fields):
    return lambda event: (
        event["type"] == kind and all(event.get(name) == value for name, value in fields.items())
    )


def all_messages(session, api: str, conversation_id: int) -> list[dict]:
    listed, url, params = [], f"{api}/conversations/{conversation_id}/messages/", {"page_size": 100}
    while url:
        body = session.get(url, params=params, timeout=10).json()
        listed += body["results"]
        url, params = body["next"], None
    return listed


def test_send_typing_and_read_between_two_clients(asgi_server, stream_reader):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    api = f"{asgi_server.http}/api/v1"
    alice_http, bob_http = http_as(alice), http_as(bob)
    conversation = alice_http.post(f"{api}/conversations/", json={"username": "bob"}).json()
    alice_socket = stream_reader(stream_url(asgi_server, alice))
    bob_socket = stream_reader(stream_url(asgi_server, bob))
    for socket in (alice_socket, bob_socket):
        socket.send({"type": "ping"})
        socket.next(of_type("pong"))

    sent = time.monotonic()
    alice_socket.send(send_frame(conversation["id"], "hi bob", "alice-1"))
    # On the sender's socket the ack comes first, then the message's own event: pushed
    # while the socket was handling the frame, it waits for the ack (docs/realtime.md).
    acked, ack = alice_socket.next(lambda event: event["type"] in ("message.ack", "message"))
    assert ack["type"] == "message.ack", ack
    _, own = alice_socket.next(of_type("message"))
    assert own["message"] == ack["message"]
    arrived, event = bob_socket.next(of_type("message"))
    assert ack["client_id"] == "alice-1"
    assert event == {
        "type": "message",
        "conversation_id": conversation["id"],
        "message": ack["message"],
    }
    listed = all_messages(bob_http, api, conversation["id"])
    assert [m["id"] for m in listed] == [ack["message"]["id"]]
    assert listed[0] == ack["message"]
    assert bob_http.get(f"{api}/conversations/").json()["results"][0]["unread_count"] == 1

    bob_socket.send({"type": "typing", "conversation_id": conversation["id"]})
    _, typing = alice_socket.next(of_type("typing"))
    assert typing["user"]["username"] == "bob"
    assert typing["conversation_id"] == conversation["id"]

    bob_socket.send({"type": "read", "conversation_id": conversation["id"]})
    _, read = alice_socket.next(of_type("read"))
    assert (read["user"]["username"], read["last_read_message_id"]) == ("bob", ack["message"]["id"])
    assert bob_http.get(f"{api}/conversations/").json()["results"][0]["unread_count"] == 0
    print(
        f"\nsocket send: ack after {(acked - sent) * 1000:.1f} ms, "
        f"on the other socket after {(arrived - sent) * 1000:.1f} ms"
    )


def test_a_client_id_repeated_after_a_reconnect_stores_one_message(asgi_server, stream_reader):
    alice, _ = UserFactory(username="alice"), UserFactory(username="bob")
    api = f"{asgi_server.http}/api/v1"
    alice_http = http_as(alice)
    conversation = alice_http.post(f"{api}/conversations/", json={"username": "bob"}).json()
    first = stream_reader(stream_url(asgi_server, alice))
    first.send(send_frame(conversation["id"], "exactly once", "retry-me"))
    _, ack = first.next(of_type("message.ack"))
    first.close()

    again = stream_reader(stream_url(asgi_server, alice))
    again.send(send_frame(conversation["id"], "exactly once", "retry-me"))
    _, repeat = again.next(of_type("message.ack"))
    assert repeat == ack
    assert [m["text"] for m in all_messages(alice_http, api, conversation["id"])] == [
        "exactly once"
    ]


def test_a_group_of_three_gets_every_message_once(asgi_server, stream_reader):
    users = [UserFactory(username=name) for name in ("alice", "bob", "carol")]
    api = f"{asgi_server.http}/api/v1"
    group = (
        http_as(users[0])
        .post(f"{api}/conversations/", json={"usernames": ["bob", "carol"], "title": "three"})
        .json()
    )
    sockets = [stream_reader(stream_url(asgi_server, user)) for user in users]
    for socket in sockets:
        socket.send({"type": "ping"})
        socket.next(of_type("pong"))
    per_sender = 5
    for n in range(per_sender):
        for index, socket in enumerate(sockets):
            socket.send(send_frame(group["id"], f"{users[index].username} {n}", f"m{n}"))

    stored = all_messages(http_as(users[1]), api, group["id"])
    deadline = time.monotonic() + 15
    while len(stored) < 3 * per_sender and time.monotonic() < deadline:
        time.sleep(0.1)
        stored = all_messages(http_as(users[1]), api, group["id"])
    assert len(stored) == 3 * per_sender
    for socket in sockets:
        # Each socket: every message of the group once, and an ack for each of its own.
        got = [
            socket.next(lambda event: event["type"] in ("message", "message.ack"))[1]
            for _ in range(3 * per_sender + per_sender)
        ]
        received = [event for event in got if event["type"] == "message"]
        ids = collections.Counter(event["message"]["id"] for event in received)
        assert ids == collections.Counter(m["id"] for m in stored)
        assert max(ids.values()) == 1
        acks = [event for event in got if event["type"] == "message.ack"]
        assert len({ack["message"]["id"] for ack in acks}) == per_sender
        socket.send({"type": "ping"})
        socket.next(of_type("pong"))
    # Nothing more came after the pongs: each message arrived once per socket.
    for socket in sockets:
        assert all(event["type"] != "message" for _, event in list(socket.events.queue))


def test_a_socket_that_never_reads_is_closed_at_a_bounded_buffer(start_asgi_server, stream_reader):
    limit = 64 * 1024
    server = start_asgi_server(STREAM_SEND_BUFFER_BYTES=str(limit))
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    api = f"{server.http}/api/v1"
    conversation = http_as(alice).post(f"{api}/conversations/", json={"username": "bob"}).json()
    silent = open_silent_socket(server, access_token(alice))
    alice_reader = stream_reader(stream_url(server, alice))
    bob_socket = stream_reader(stream_url(server, bob))

    # An emoji is 12 bytes in the JSON of an event (two escapes): about 12 KB an event.
    text = "\U0001f600" * 1000
    sent = 0
    closed_log = "closing a WebSocket with 4408"
    started = time.monotonic()
    while closed_log not in server.log() and sent < 2000:
        for _ in range(20):
            bob_socket.send(send_frame(conversation["id"], text, f"b{sent}"))
            sent += 1
        bob_socket.next(of_type("message.ack", client_id=f"b{sent - 1}"), timeout=60)
    elapsed = time.monotonic() - started
    assert closed_log in server.log(), f"not closed after {sent} messages"
    # The server dropped the connection: the silent client finds it closed or reset once
    # it drains what its kernel held.
    silent.settimeout(10)
    drained = 0
    try:
        while chunk := silent.recv(65536):
            drained += len(chunk)
    except ConnectionResetError:
        pass
    silent.close()
    print(
        f"\nsilent socket closed with 4408 after {sent} messages of 1000 characters "
        f"({elapsed:.1f} s; {drained} bytes were still in flight to it)"
    )

    # The reading socket of the same user got everything, and REST has it all.
    alice_reader.next(of_type("message"), timeout=15)
    listed = all_messages(http_as(alice), api, conversation["id"])
    assert len(listed) == sent
    alice_reader.send({"type": "ping"})
    alice_reader.next(of_type("pong"), timeout=15)
