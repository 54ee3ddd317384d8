"""GET /api/v1/streaming over WebSocket: Mastodon's user stream, fed by Chirp's own
after-commit pushes, through the whole ASGI application (tests commit for real)."""

import contextlib
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from config.asgi import application
from friendships import services as friendship_services
from tests.factories import TweetFactory, UserFactory
from tests.mastodon_api.helpers import REDIRECT, ROOT, make_token
from tweets import services as tweet_services

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 3
_opened: list[WebsocketCommunicator] = []


@pytest.fixture(autouse=True)
async def _clean_up_sockets_and_connections():
    yield
    while _opened:
        with contextlib.suppress(Exception):
            await _opened.pop().disconnect(timeout=TIMEOUT)
    await database_sync_to_async(connections.close_all)()


@database_sync_to_async
def oauth_token(user, token: str, scope: str = "read write follow") -> str:
    app = (
        Client()
        .post(
            f"{ROOT}/api/v1/apps",
            {"client_name": "Stream", "redirect_uris": REDIRECT, "scopes": "read write follow"},
        )
        .json()
    )
    make_token(user, app, token, scope=scope)
    return token


async def open_stream(query: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(
        application, f"{ROOT}/api/v1/streaming?{query}", headers=[(b"host", b"testserver")]
    )
    _opened.append(communicator)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    return communicator


async def joined(communicator) -> None:
    """The handshake is accepted before the token is checked; a pong proves it passed."""
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}


async def test_a_notification_and_an_update_arrive_in_mastodons_framing():
    erin = await database_sync_to_async(UserFactory)(username="erin")
    frank = await database_sync_to_async(UserFactory)(username="frank")
    token = await oauth_token(erin, "stream-token")
    stream = await open_stream(f"stream=user&access_token={token}")
    await joined(stream)

    await database_sync_to_async(friendship_services.follow_user)(follower=frank, username="erin")
    frame = await stream.receive_json_from(timeout=TIMEOUT)
    assert frame["stream"] == ["user"] and frame["event"] == "notification"
    payload = json.loads(frame["payload"])
    assert payload["type"] == "follow" and payload["account"]["username"] == "frank"

    await database_sync_to_async(friendship_services.follow_user)(follower=erin, username="frank")
    tweet = await database_sync_to_async(tweet_services.create_tweet)(
        author=frank, text="hello #stream"
    )
    frame = await stream.receive_json_from(timeout=TIMEOUT)
    assert frame["event"] == "update"
    status = json.loads(frame["payload"])
    assert status["id"] == str(tweet.pk)
    assert status["account"]["url"] == "http://testserver/api/v1/users/frank/"
    assert 'rel="tag"' in status["content"]


async def test_a_deleted_status_arrives_as_a_delete_with_its_id():
    """Mastodon's `delete`: the payload is the id itself, to the followers whose home
    timeline had the status and to its author."""
    erin = await database_sync_to_async(UserFactory)(username="erin")
    frank = await database_sync_to_async(UserFactory)(username="frank")
    await database_sync_to_async(friendship_services.follow_user)(follower=erin, username="frank")
    follower = await open_stream(f"stream=user&access_token={await oauth_token(erin, 'erin')}")
    author = await open_stream(f"stream=user&access_token={await oauth_token(frank, 'frank')}")
    await joined(follower)
    await joined(author)
    tweet = await database_sync_to_async(tweet_services.create_tweet)(author=frank, text="oops")
    assert (await follower.receive_json_from(timeout=TIMEOUT))["event"] == "update"

    await database_sync_to_async(tweet_services.delete_tweet)(actor=frank, tweet_id=tweet.pk)

    delete = {"stream": ["user"], "event": "delete", "payload": str(tweet.pk)}
    assert await follower.receive_json_from(timeout=TIMEOUT) == delete
    assert await author.receive_json_from(timeout=TIMEOUT) == delete


async def test_the_notification_stream_gets_no_delete():
    erin = await database_sync_to_async(UserFactory)(username="erin")
    token = await oauth_token(erin, "erin-notifications")
    stream = await open_stream(f"stream=user:notification&access_token={token}")
    await joined(stream)
    tweet = await database_sync_to_async(tweet_services.create_tweet)(author=erin, text="gone")
    await database_sync_to_async(tweet_services.delete_tweet)(actor=erin, tweet_id=tweet.pk)
    assert await stream.receive_nothing(timeout=0.5)


async def test_a_chirp_jwt_opens_the_stream_too():
    from rest_framework_simplejwt.tokens import RefreshToken

    erin = await database_sync_to_async(UserFactory)(username="erin")
    access = await database_sync_to_async(lambda: str(RefreshToken.for_user(erin).access_token))()
    stream = await open_stream(f"stream=user&access_token={access}")
    await joined(stream)
    tweet = await database_sync_to_async(TweetFactory)(user=erin)
    await database_sync_to_async(tweet_services.like_tweet)(
        user=await database_sync_to_async(UserFactory)(), tweet_id=tweet.pk
    )
    frame = await stream.receive_json_from(timeout=TIMEOUT)
    assert json.loads(frame["payload"])["type"] == "favourite"


@pytest.mark.parametrize(
    "query", ["stream=user", "stream=user&access_token=nope", "stream=public&access_token=x"]
)
async def test_without_a_valid_token_or_for_another_stream_the_socket_closes(query):
    erin = await database_sync_to_async(UserFactory)(username="erin")
    await oauth_token(erin, "x")
    stream = await open_stream(query)
    output = await stream.receive_output(timeout=TIMEOUT)
    assert output == {"type": "websocket.close", "code": 4401}
