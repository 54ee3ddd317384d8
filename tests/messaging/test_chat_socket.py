"""Chat over the stream socket (docs/realtime.md, "Client to server"), through the whole
ASGI application with Channels' WebsocketCommunicator: `message.send` through the REST
rules and throttle with an ack and exactly-once client ids, `typing` relayed and never
stored, `read` as POST read/ with a `read` event to the others."""

import pytest
from channels.db import database_sync_to_async

from messaging import services
from messaging.models import Message
from notifications.models import Notification
from safety.models import Block
from tests.conftest import set_throttle_rates
from tests.notifications.test_consumers import (
    TIMEOUT,
    _clean_up_sockets_and_connections,  # noqa: F401 (the autouse fixture, by import)
    connected_stream,
    make_user,
)
from tests.shapes import summary_json

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def one_to_one(user, other):
    conversation, _ = services.get_or_create_conversation(user=user, username=other.username)
    return conversation


@database_sync_to_async
def group_of(creator, *others):
    return services.create_group(creator=creator, usernames=[u.username for u in others])


@database_sync_to_async
def stored(**filters) -> list[Message]:
    return list(Message.objects.filter(**filters).order_by("id"))


def send_frame(conversation_id: int, text: str, client_id: str) -> dict:
    return {
        "type": "message.send",
        "conversation_id": conversation_id,
        "text": text,
        "client_id": client_id,
    }


async def next_of(communicator, kind: str) -> dict:
    """The next event of this type; events of other types before it are skipped."""
    while True:
        event = await communicator.receive_json_from(timeout=TIMEOUT)
        if event["type"] == kind:
            return event


async def test_message_send_is_acked_with_the_stored_message_and_reaches_the_other():
    alice, bob = await make_user(username="alice"), await make_user(username="bob")
    conversation = await one_to_one(alice, bob)
    alice_socket, bob_socket = await connected_stream(alice), await connected_stream(bob)

    await alice_socket.send_json_to(send_frame(conversation.pk, "hi bob", "c-1"))

    ack = await next_of(alice_socket, "message.ack")
    [message] = await stored()
    body = {
        "id": message.pk,
        "sender": summary_json(alice),
        "text": "hi bob",
        "created_at": message.created_at.isoformat().replace("+00:00", "Z"),
    }
    assert ack == {"type": "message.ack", "client_id": "c-1", "message": body}
    assert await next_of(bob_socket, "message") == {
        "type": "message",
        "conversation_id": conversation.pk,
        "message": body,
    }
    assert await database_sync_to_async(Notification.objects.filter(recipient=bob).count)() == 1


async def test_a_repeated_client_id_stores_nothing_and_acks_the_first_message():
    alice, bob = await make_user(username="alice"), await make_user(username="bob")
    conversation = await one_to_one(alice, bob)
    first_socket = await connected_stream(alice)
    await first_socket.send_json_to(send_frame(conversation.pk, "once", "c-1"))
    first = await next_of(first_socket, "message.ack")
    await first_socket.disconnect()

    # A reconnect, and the client resends what it never saw acknowledged.
    second_socket = await connected_stream(alice)
    await second_socket.send_json_to(send_frame(conversation.pk, "once", "c-1"))
    assert await next_of(second_socket, "message.ack") == first
    assert [m.text for m in await stored()] == ["once"]
    # The same client id from another user is theirs.
    bob_socket = await connected_stream(bob)
    await bob_socket.send_json_to(send_frame(conversation.pk, "mine", "c-1"))
    assert (await next_of(bob_socket, "message.ack"))["message"]["text"] == "mine"
    assert len(await stored()) == 2


@pytest.mark.parametrize(
    ("frame", "fields"),
    [
        ({"text": ""}, {"text": ["This field may not be blank."]}),
        ({"text": "x" * 1001}, {"text": ["Ensure this field has no more than 1000 characters."]}),
        ({"text": "   "}, {"text": ["This field may not be blank."]}),
        ({"client_id": ""}, {"client_id": ["This field may not be blank."]}),
        ({"conversation_id": "seven"}, {"conversation_id": ["A valid integer is required."]}),
        ({"colour": "red"}, {"colour": ["Unknown field."]}),
    ],
    ids=["empty", "too-long", "spaces", "no-client-id", "bad-conversation", "unknown-field"],
)
async def test_invalid_message_send_is_an_error_frame(frame, fields):
    alice, bob = await make_user(username="alice"), await make_user(username="bob")
    conversation = await one_to_one(alice, bob)
    socket = await connected_stream(alice)

    await socket.send_json_to({**send_frame(conversation.pk, "hi", "c-1"), **frame})
    answer = await socket.receive_json_from(timeout=TIMEOUT)
    assert answer == {
        "type": "error",
        "code": "validation_error",
        "detail": "Invalid input.",
        "fields": fields,
        "client_id": frame.get("client_id", "c-1"),
    }
    assert await stored() == []
    # The socket stays open.
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}


async def test_message_send_to_a_conversation_of_others_is_not_found():
    alice, bob, eve = [await make_user(username=name) for name in ("alice", "bob", "eve")]
    conversation = await one_to_one(alice, bob)
    socket = await connected_stream(eve)
    await socket.send_json_to(send_frame(conversation.pk, "let me in", "c-1"))
    assert await socket.receive_json_from(timeout=TIMEOUT) == {
        "type": "error",
        "code": "not_found",
        "detail": "No conversation with that id.",
        "client_id": "c-1",
    }
    assert await stored() == []


async def test_message_send_between_blocked_users_is_refused():
    alice, bob = await make_user(username="alice"), await make_user(username="bob")
    conversation = await one_to_one(alice, bob)
    await database_sync_to_async(Block.objects.create)(blocker=bob, blocked=alice)
    socket = await connected_stream(alice)
    await socket.send_json_to(send_frame(conversation.pk, "hello?", "c-1"))
    answer = await socket.receive_json_from(timeout=TIMEOUT)
    assert (answer["code"], answer["client_id"]) == ("blocked", "c-1")
    assert await stored() == []


async def test_message_send_shares_the_post_throttle_with_rest(settings):
    set_throttle_rates(settings, post="2/min")
    alice, bob = await make_user(username="alice"), await make_user(username="bob")
    conversation = await one_to_one(alice, bob)
    socket = await connected_stream(alice)
    for n in range(2):
        await socket.send_json_to(send_frame(conversation.pk, f"m{n}", f"c-{n}"))
        assert (await next_of(socket, "message.ack"))["client_id"] == f"c-{n}"

    await socket.send_json_to(send_frame(conversation.pk, "one too many", "c-2"))
    answer = await next_of(socket, "error")
    assert (answer["type"], answer.get("code"), answer.get("client_id")) == (
        "error",
        "throttled",
        "c-2",
    ), answer
    # A repeat of an acknowledged message is still acknowledged: it stores nothing.
    await socket.send_json_to(send_frame(conversation.pk, "m0", "c-0"))
    assert (await next_of(socket, "message.ack"))["client_id"] == "c-0"
    assert len(await stored()) == 2


async def test_typing_is_relayed_to_the_others_and_never_stored():
    alice, bob, carol = [await make_user(username=name) for name in ("alice", "bob", "carol")]
    group = await group_of(alice, bob, carol)
    sockets = {user.username: await connected_stream(user) for user in (alice, bob, carol)}

    await sockets["alice"].send_json_to({"type": "typing", "conversation_id": group.pk})
    expected = {"type": "typing", "conversation_id": group.pk, "user": summary_json(alice)}
    assert await sockets["bob"].receive_json_from(timeout=TIMEOUT) == expected
    assert await sockets["carol"].receive_json_from(timeout=TIMEOUT) == expected
    assert await sockets["alice"].receive_nothing(timeout=0.3)
    assert await stored() == []


async def test_typing_is_rate_limited_per_sender(settings):
    set_throttle_rates(settings, typing="1/min")
    alice, bob = await make_user(username="alice"), await make_user(username="bob")
    conversation = await one_to_one(alice, bob)
    alice_socket, bob_socket = await connected_stream(alice), await connected_stream(bob)
    frame = {"type": "typing", "conversation_id": conversation.pk}
    await alice_socket.send_json_to(frame)
    await alice_socket.send_json_to(frame)
    assert (await alice_socket.receive_json_from(timeout=TIMEOUT))["code"] == "throttled"
    assert (await bob_socket.receive_json_from(timeout=TIMEOUT))["type"] == "typing"
    assert await bob_socket.receive_nothing(timeout=0.3)


async def test_typing_in_a_conversation_of_others_is_not_found():
    alice, bob, eve = [await make_user(username=name) for name in ("alice", "bob", "eve")]
    conversation = await one_to_one(alice, bob)
    bob_socket, eve_socket = await connected_stream(bob), await connected_stream(eve)
    await eve_socket.send_json_to({"type": "typing", "conversation_id": conversation.pk})
    assert (await eve_socket.receive_json_from(timeout=TIMEOUT))["code"] == "not_found"
    assert await bob_socket.receive_nothing(timeout=0.3)


async def test_typing_between_blocked_users_is_not_relayed():
    alice, bob = await make_user(username="alice"), await make_user(username="bob")
    conversation = await one_to_one(alice, bob)
    await database_sync_to_async(Block.objects.create)(blocker=bob, blocked=alice)
    alice_socket, bob_socket = await connected_stream(alice), await connected_stream(bob)
    await alice_socket.send_json_to({"type": "typing", "conversation_id": conversation.pk})
    assert (await alice_socket.receive_json_from(timeout=TIMEOUT))["code"] == "blocked"
    assert await bob_socket.receive_nothing(timeout=0.3)


async def test_read_marks_and_tells_the_others():
    alice, bob = await make_user(username="alice"), await make_user(username="bob")
    conversation = await one_to_one(alice, bob)
    alice_socket, bob_socket = await connected_stream(alice), await connected_stream(bob)
    await alice_socket.send_json_to(send_frame(conversation.pk, "read me", "c-1"))
    ack = await next_of(alice_socket, "message.ack")
    await next_of(bob_socket, "message")

    await bob_socket.send_json_to({"type": "read", "conversation_id": conversation.pk})
    event = await next_of(alice_socket, "read")
    assert event == {
        "type": "read",
        "conversation_id": conversation.pk,
        "user": summary_json(bob),
        "at": event["at"],
        "last_read_message_id": ack["message"]["id"],
    }
    assert await bob_socket.receive_nothing(timeout=0.3)

    @database_sync_to_async
    def unread_for_bob() -> int:
        from messaging.selectors import list_conversations

        return list_conversations(user=bob).get().unread_count

    assert await unread_for_bob() == 0
