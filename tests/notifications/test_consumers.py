"""The real-time stream, ws://HOST/ws/stream/?token=<access JWT>, through the whole ASGI
application (origin check, routing, consumer) with Channels' WebsocketCommunicator.

These tests commit for real (`transaction=True`): the pushes they wait for are sent after
commit. ORM work goes through `database_sync_to_async`, HTTP calls through `sync_to_async`.
The channel layer is the in-memory one, or Redis under this test's own prefix when
REDIS_URL is set (tests/conftest.py).
"""

import contextlib
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts import services as account_services
from config.asgi import application
from core import websocket
from notifications.models import Notification
from notifications.selectors import list_notifications
from notifications.serializers import NotificationSerializer
from tests.factories import DEFAULT_PASSWORD, FriendshipFactory, TweetFactory, UserFactory
from tests.notifications.actions import ACTIONS, like_tweet, message

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
STREAM = "/ws/stream/"
TIMEOUT = 3  # seconds to wait for an event that should come
UNAUTHORIZED = 4401


# Every communicator a test opens, so teardown can disconnect it.
_opened: list[WebsocketCommunicator] = []


@pytest.fixture(autouse=True)
async def _clean_up_sockets_and_connections():
    """Disconnect every socket the test opened, as a client going away would: a consumer
    left running is cancelled at event-loop shutdown instead, which can hang inside
    channels_redis's receive. Then close the connections of asgiref's one sync thread (where
    ORM calls ran) so the test database can be flushed and, at the end, dropped."""
    yield
    while _opened:
        communicator = _opened.pop()
        with contextlib.suppress(Exception):
            await communicator.disconnect(timeout=TIMEOUT)
    await database_sync_to_async(connections.close_all)()


@database_sync_to_async
def make_user(**kwargs):
    return UserFactory(**kwargs)


@database_sync_to_async
def tokens_for(user) -> tuple[str, str]:
    """(access, refresh); issuing a refresh token writes its OutstandingToken row."""
    refresh = RefreshToken.for_user(user)
    return str(refresh.access_token), str(refresh)


def client_for(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


async def open_stream(
    token: str | None, *, origin: str | None = None, host: str = "testserver"
) -> WebsocketCommunicator:
    path = STREAM if token is None else f"{STREAM}?token={token}"
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    _opened.append(communicator)
    return communicator


async def connected_stream(user, **kwargs) -> WebsocketCommunicator:
    access, _ = await tokens_for(user)
    communicator = await open_stream(access, **kwargs)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    # The handshake is accepted before the token is checked; a ping proves it passed.
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
    return communicator


async def assert_closed_with(communicator: WebsocketCommunicator, code: int) -> None:
    output = await communicator.receive_output(timeout=TIMEOUT)
    assert output == {"type": "websocket.close", "code": code}


async def receive_events(communicator, count: int) -> list[dict]:
    return [await communicator.receive_json_from(timeout=TIMEOUT) for _ in range(count)]


@database_sync_to_async
def notification_payload(notification_id: int, recipient) -> dict:
    notification = list_notifications(recipient=recipient).get(pk=notification_id)
    return NotificationSerializer(notification).data


# --- authentication ------------------------------------------------------------------------


async def test_missing_token_is_closed_with_4401():
    communicator = await open_stream(None)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    await assert_closed_with(communicator, UNAUTHORIZED)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
async def test_invalid_token_is_closed_with_4401(token):
    communicator = await open_stream(token)
    await communicator.connect(timeout=TIMEOUT)
    await assert_closed_with(communicator, UNAUTHORIZED)


async def test_refresh_token_is_not_an_access_token():
    user = await make_user()
    _, refresh = await tokens_for(user)
    communicator = await open_stream(refresh)
    await communicator.connect(timeout=TIMEOUT)
    await assert_closed_with(communicator, UNAUTHORIZED)


async def test_expired_token_is_closed_with_4401():
    user = await make_user()
    access, _ = await tokens_for(user)
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=True):
        communicator = await open_stream(access)
        await communicator.connect(timeout=TIMEOUT)
        await assert_closed_with(communicator, UNAUTHORIZED)


async def test_token_issued_before_a_password_change_is_closed_with_4401():
    user = await make_user()
    access, _ = await tokens_for(user)
    await database_sync_to_async(account_services.change_password)(
        user=user, old_password=DEFAULT_PASSWORD, new_password="another-long-passphrase-7"
    )
    communicator = await open_stream(access)
    await communicator.connect(timeout=TIMEOUT)
    await assert_closed_with(communicator, UNAUTHORIZED)


async def test_deactivated_users_token_is_closed_with_4401():
    user = await make_user()
    access, _ = await tokens_for(user)
    await database_sync_to_async(account_services.deactivate_user)(user=user)
    communicator = await open_stream(access)
    await communicator.connect(timeout=TIMEOUT)
    await assert_closed_with(communicator, UNAUTHORIZED)


@pytest.mark.parametrize("user_id", ["abc", 1.5, [1], None, 2**63], ids=repr)
async def test_signed_token_whose_user_id_is_not_an_id_is_closed_with_4401(user_id):
    user = await make_user()
    token = AccessToken.for_user(user)  # signed with our key: only the claim is wrong
    token["user_id"] = user_id
    communicator = await open_stream(str(token))
    await communicator.connect(timeout=TIMEOUT)
    await assert_closed_with(communicator, UNAUTHORIZED)


# --- origin --------------------------------------------------------------------------------


@pytest.fixture
def origins(settings):
    settings.ALLOWED_HOSTS = ["chirp.example.com"]
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.net"]


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example.org", "http://app.example.net", "https://app.example.net:8443", "null"],
)
async def test_foreign_origin_is_refused(origins, origin):
    user = await make_user()
    access, _ = await tokens_for(user)
    communicator = await open_stream(access, origin=origin)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert not connected


@pytest.mark.parametrize("origin", ["https://chirp.example.com", "https://app.example.net"])
async def test_allowed_origin_is_accepted(origins, origin):
    user = await make_user()
    communicator = await connected_stream(user, origin=origin)
    await communicator.disconnect()


async def test_missing_origin_is_accepted(origins):
    """Mobile clients send no Origin; the token authenticates them."""
    user = await make_user()
    communicator = await connected_stream(user)
    await communicator.disconnect()


# --- client messages -----------------------------------------------------------------------


async def test_ping_is_answered_with_pong():
    user = await make_user()
    communicator = await connected_stream(user)
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
    await communicator.disconnect()


@pytest.mark.parametrize(
    "frame",
    [
        {"text": json.dumps({"type": "dance"})},
        {"text": json.dumps(["ping"])},
        {"text": json.dumps("ping")},
        {"text": "not json at all {"},
        {"text": ""},
        {"bytes": b"\x00\x01binary"},
        {"text": "[" * 5000 + "]" * 5000},
    ],
    ids=["unknown-type", "list", "string", "not-json", "empty", "binary", "nested-5000-deep"],
)
async def test_unknown_or_garbage_message_gets_an_error_and_the_socket_stays_open(frame):
    user = await make_user()
    communicator = await connected_stream(user)

    await communicator.send_input({"type": "websocket.receive", **frame})
    assert await communicator.receive_json_from(timeout=TIMEOUT) == {
        "type": "error",
        "code": "unknown_message",
        "detail": "Unknown message; send one of: message.send, ping, read, typing.",
    }
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
    await communicator.disconnect()


# --- events --------------------------------------------------------------------------------


@pytest.mark.parametrize(("verb", "action"), ACTIONS, ids=[verb for verb, _ in ACTIONS])
async def test_each_verb_reaches_the_recipients_socket(verb, action):
    alice, bob = await make_user(username="alice"), await make_user(username="bob")
    bob_access, _ = await tokens_for(bob)
    alice_socket = await connected_stream(alice)

    await sync_to_async(action)(client_for(bob_access), alice, bob)

    event = await alice_socket.receive_json_from(timeout=TIMEOUT)
    notification = await database_sync_to_async(Notification.objects.get)(recipient=alice)
    assert event == {
        "type": "notification",
        "notification": await notification_payload(notification.pk, alice),
        "unread_count": 1,
    }
    assert event["notification"]["verb"] == verb
    if verb == "message":
        event = await alice_socket.receive_json_from(timeout=TIMEOUT)
        assert event["type"] == "message"
        assert event["message"]["sender"]["username"] == "bob"
    assert await alice_socket.receive_nothing(timeout=0.2)
    await alice_socket.disconnect()


async def test_message_event_reaches_both_participants():
    alice, bob = await make_user(username="alice"), await make_user(username="bob")
    bob_access, _ = await tokens_for(bob)
    alice_socket, bob_socket = await connected_stream(alice), await connected_stream(bob)

    await sync_to_async(message)(client_for(bob_access), alice, bob)

    events = await receive_events(alice_socket, 2)
    assert [event["type"] for event in events] == ["notification", "message"]
    message_event = events[1]
    assert set(message_event) == {"type", "conversation_id", "message"}
    assert message_event["message"]["text"] == "hi alice"
    assert set(message_event["message"]) == {"id", "sender", "text", "created_at"}
    # Bob's other devices learn of the message he sent; he gets no notification.
    assert await bob_socket.receive_json_from(timeout=TIMEOUT) == message_event
    assert await bob_socket.receive_nothing(timeout=0.2)
    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_newsfeed_event_when_fan_out_reaches_a_follower():
    alice, bob = await make_user(), await make_user()
    await database_sync_to_async(FriendshipFactory)(follower=alice, followee=bob)
    alice_socket, bob_socket = await connected_stream(alice), await connected_stream(bob)

    # Celery runs eagerly here: the fan-out runs after the tweet commits.
    tweet = await database_sync_to_async(TweetFactory)(user=bob)

    assert await alice_socket.receive_json_from(timeout=TIMEOUT) == {
        "type": "newsfeed",
        "tweet_id": tweet.pk,
    }
    assert await bob_socket.receive_nothing(timeout=0.2)  # the author's feed has it already
    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_every_socket_of_a_user_receives_and_no_event_leaks():
    alice, bob, carol = await make_user(username="alice"), await make_user(), await make_user()
    bob_access, _ = await tokens_for(bob)
    phone, browser = await connected_stream(alice), await connected_stream(alice)
    bob_socket, carol_socket = await connected_stream(bob), await connected_stream(carol)

    await sync_to_async(like_tweet)(client_for(bob_access), alice, bob)

    on_phone = await phone.receive_json_from(timeout=TIMEOUT)
    on_browser = await browser.receive_json_from(timeout=TIMEOUT)
    assert on_phone == on_browser
    assert on_phone["type"] == "notification"
    assert await bob_socket.receive_nothing(timeout=0.2)
    assert await carol_socket.receive_nothing(timeout=0.2)
    for socket in (phone, browser, bob_socket, carol_socket):
        await socket.disconnect()


async def test_a_closed_socket_stops_receiving_and_others_still_do():
    alice, bob = await make_user(username="alice"), await make_user()
    bob_access, _ = await tokens_for(bob)
    phone, browser = await connected_stream(alice), await connected_stream(alice)
    await phone.disconnect()

    await sync_to_async(like_tweet)(client_for(bob_access), alice, bob)

    assert (await browser.receive_json_from(timeout=TIMEOUT))["type"] == "notification"
    await browser.disconnect()


async def test_avatar_urls_in_events_are_absolute_like_over_rest():
    alice, bob = await make_user(username="alice"), await make_user(username="bob")
    await database_sync_to_async(type(bob).objects.filter(pk=bob.pk).update)(
        avatar="avatars/bob.png"
    )
    bob_access, _ = await tokens_for(bob)
    alice_socket = await connected_stream(alice)
    # Another socket of hers, reached through another host: with Redis, one push reaches
    # both through the process's push loop, which renders a frame once per host
    # (core/channel_layer.py); each keeps its own.
    elsewhere = await connected_stream(alice, host="chirp.example")

    await sync_to_async(like_tweet)(client_for(bob_access), alice, bob)

    event = await alice_socket.receive_json_from(timeout=TIMEOUT)
    rest = await sync_to_async(client_for((await tokens_for(alice))[0]).get)(
        "/api/v1/notifications/"
    )
    avatar_url = rest.json()["results"][0]["actor"]["avatar_url"]
    assert avatar_url.startswith("http://testserver/")
    assert event["notification"]["actor"]["avatar_url"] == avatar_url
    there = await elsewhere.receive_json_from(timeout=TIMEOUT)
    assert there["notification"]["actor"]["avatar_url"] == avatar_url.replace(
        "http://testserver/", "http://chirp.example/"
    )
    assert {**there, "notification": event["notification"]} == event
    for socket in (alice_socket, elsewhere):
        await socket.disconnect()


async def test_one_push_reaches_a_chirp_and_a_mastodon_socket_in_one_process(settings):
    # With Redis, one message from the inbox names both sockets: Chirp's gets it from the
    # push loop, Mastodon's (rendered per viewer, not a push target) through the layer's
    # per-channel path (core/channel_layer.py).
    alice, bob = await make_user(username="alice"), await make_user(username="bob")
    access, _ = await tokens_for(alice)
    bob_access, _ = await tokens_for(bob)
    chirp = await connected_stream(alice)
    mastodon = WebsocketCommunicator(
        application,
        f"{settings.MASTODON_PREFIX}/api/v1/streaming?stream=user&access_token={access}",
        headers=[(b"host", b"testserver")],
    )
    _opened.append(mastodon)
    assert (await mastodon.connect(timeout=TIMEOUT))[0]
    await mastodon.send_json_to({"type": "ping"})
    assert await mastodon.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}

    await sync_to_async(like_tweet)(client_for(bob_access), alice, bob)

    assert (await chirp.receive_json_from(timeout=TIMEOUT))["type"] == "notification"
    frame = await mastodon.receive_json_from(timeout=TIMEOUT)
    assert (frame["event"], json.loads(frame["payload"])["type"]) == ("notification", "favourite")
    for socket in (chirp, mastodon):
        await socket.disconnect()


# --- sockets closed by the account ---------------------------------------------------------


async def test_logout_closes_the_users_sockets():
    alice, bob = await make_user(), await make_user()
    access, refresh = await tokens_for(alice)
    phone, browser = await connected_stream(alice), await connected_stream(alice)
    bob_socket = await connected_stream(bob)

    response = await sync_to_async(client_for(access).post)(
        "/api/v1/auth/logout/", {"refresh": refresh}
    )
    assert response.status_code == 204

    await assert_closed_with(phone, UNAUTHORIZED)
    await assert_closed_with(browser, UNAUTHORIZED)
    assert await bob_socket.receive_nothing(timeout=0.2)
    await bob_socket.disconnect()


async def test_password_change_closes_the_users_sockets():
    alice = await make_user()
    access, _ = await tokens_for(alice)
    socket = await connected_stream(alice)

    response = await sync_to_async(client_for(access).post)(
        "/api/v1/auth/password/change/",
        {"old_password": DEFAULT_PASSWORD, "new_password": "another-long-passphrase-7"},
    )
    assert response.status_code == 204

    await assert_closed_with(socket, UNAUTHORIZED)


async def test_deactivation_closes_the_users_sockets():
    alice = await make_user()
    socket = await connected_stream(alice)

    await database_sync_to_async(account_services.deactivate_user)(user=alice)

    await assert_closed_with(socket, UNAUTHORIZED)


# --- channel layer down --------------------------------------------------------------------

DOWN_LAYER = {
    "default": {
        "BACKEND": "core.channel_layer.RedisChannelLayer",
        "CONFIG": {
            "hosts": [{"address": "redis://127.0.0.1:1/0", "socket_connect_timeout": 1}],
            "prefix": "down",
        },
    }
}


@pytest.mark.django_db
def test_like_succeeds_and_is_listed_when_the_channel_layer_is_down(
    settings, make_auth_client, django_capture_on_commit_callbacks, caplog
):
    """docs/reliability.md fault test 4: the push fails after commit, the like and its
    notification stand (I2 over REST)."""
    settings.CHANNEL_LAYERS = DOWN_LAYER
    alice = UserFactory()
    tweet = TweetFactory(user=alice)
    bob_client, alice_client = make_auth_client(), make_auth_client(alice)

    with django_capture_on_commit_callbacks(execute=True):
        response = bob_client.post(f"/api/v1/tweets/{tweet.pk}/like/")

    assert response.status_code == 200
    assert response.json()["likes_count"] == 1
    assert "real-time push of notification to 1 users failed" in caplog.text
    listed = alice_client.get("/api/v1/notifications/").json()["results"]
    assert [(item["verb"], item["tweet"]["id"]) for item in listed] == [("liked_tweet", tweet.pk)]
    assert alice_client.get("/api/v1/notifications/unread-count/").json() == {"unread_count": 1}


async def test_socket_is_refused_with_4503_when_the_channel_layer_is_down(settings):
    user = await make_user()
    settings.CHANNEL_LAYERS = DOWN_LAYER
    access, _ = await tokens_for(user)
    communicator = await open_stream(access)
    await communicator.connect(timeout=TIMEOUT)
    await assert_closed_with(communicator, 4503)


async def test_a_socket_to_an_unknown_path_is_closed_with_4404():
    communicator = WebsocketCommunicator(application, "/ws/nowhere/")
    _opened.append(communicator)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    await assert_closed_with(communicator, 4404)


def test_every_documented_close_code_is_one_the_server_can_send():
    """daphne sends only 1000 and 3000-4999 from an application; it turns anything else
    (the standard 1013 included) into 1011. The docs list exactly the codes we send."""
    after = (ROOT / "docs" / "realtime.md").read_text().split("\n## When sockets close\n")[1]
    table = after.split("\n## ")[0]
    documented = {int(code) for code in re.findall(r"^\|[^|]*\| (\d{4})", table, re.M)}

    assert documented == {
        websocket.UNAUTHORIZED,
        websocket.NOT_FOUND,
        websocket.TRY_AGAIN_LATER,
        websocket.TOO_SLOW,
    }
    assert all(4000 <= code <= 4999 for code in documented)
