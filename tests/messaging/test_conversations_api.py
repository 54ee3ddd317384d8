"""Direct messages over REST: one conversation per pair, messages 1-1000 characters, unread
counts, read markers, participants only (404 for anyone else), and a new message notifies
the other participant and is pushed to both participants' sockets after commit."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from messaging import services
from messaging.models import Conversation, Message
from notifications.models import Notification
from tests.conftest import authenticate
from tests.factories import UserFactory
from tests.shapes import error, iso, page_link, summary_json
from tests.streams import StreamListener

CONVERSATIONS = "/api/v1/conversations/"


def messages_url(conversation_id: int) -> str:
    return f"{CONVERSATIONS}{conversation_id}/messages/"


def message_json(message) -> dict:
    return {
        "id": message.pk,
        "sender": summary_json(message.sender),
        "text": message.text,
        "created_at": iso(message.created_at),
    }


def start(client, username: str) -> int:
    response = client.post(CONVERSATIONS, {"username": username})
    assert response.status_code in (200, 201), response.json()
    return response.json()["id"]


def send(client, conversation_id: int, text: str) -> Message:
    response = client.post(messages_url(conversation_id), {"text": text})
    assert response.status_code == 201, response.json()
    return Message.objects.get(pk=response.json()["id"])


# --- starting a conversation ---------------------------------------------------------------


def test_start_conversation_is_201_then_200_with_the_same_one(alice, bob, alice_client, bob_client):
    response = alice_client.post(CONVERSATIONS, {"username": "bob"})
    assert response.status_code == 201
    conversation = Conversation.objects.get()
    assert response.json() == {
        "id": conversation.pk,
        "participants": [summary_json(alice), summary_json(bob)],
        "last_message": None,
        "unread_count": 0,
        "title": None,
        "is_group": False,
    }

    again = alice_client.post(CONVERSATIONS, {"username": "bob"})
    assert again.status_code == 200
    assert again.json() == response.json()

    # From the other side, and whatever the case of the username: the same conversation.
    other_side = bob_client.post(CONVERSATIONS, {"username": "ALICE"})
    assert other_side.status_code == 200
    assert other_side.json()["id"] == conversation.pk
    assert Conversation.objects.count() == 1


def test_start_conversation_with_self_is_400(alice_client):
    response = alice_client.post(CONVERSATIONS, {"username": "alice"})
    assert response.status_code == 400
    assert response.json() == error("cannot_message_self")
    assert Conversation.objects.count() == 0


def test_start_conversation_with_unknown_user_is_404(alice_client):
    response = alice_client.post(CONVERSATIONS, {"username": "nobody"})
    assert response.status_code == 404
    assert response.json() == error("not_found")


def test_start_conversation_with_deactivated_user_is_404(alice_client):
    UserFactory(username="gone", is_active=False)
    response = alice_client.post(CONVERSATIONS, {"username": "gone"})
    assert response.status_code == 404
    assert response.json() == error("not_found")


def test_start_conversation_without_username_is_400(alice_client):
    response = alice_client.post(CONVERSATIONS, {})
    assert response.status_code == 400
    assert response.json() == error(
        "validation_error", fields={"username": ["This field is required."]}
    )


# --- listing conversations -----------------------------------------------------------------


def test_list_is_most_recent_activity_first(alice, bob, alice_client, bob_client):
    carol, dave = UserFactory(username="carol"), UserFactory(username="dave")
    with_bob = start(alice_client, "bob")
    with_carol = start(alice_client, "carol")
    with_dave = start(alice_client, "dave")  # never written in: after every active one
    first = send(alice_client, with_carol, "hi carol")
    send(bob_client, with_bob, "hi alice")
    last = send(bob_client, with_bob, "are you there?")

    response = alice_client.get(CONVERSATIONS)
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "results": [
            {
                "id": with_bob,
                "participants": [summary_json(alice), summary_json(bob)],
                "last_message": message_json(last),
                "unread_count": 2,
                "title": None,
                "is_group": False,
            },
            {
                "id": with_carol,
                "participants": [summary_json(alice), summary_json(carol)],
                "last_message": message_json(first),
                "unread_count": 0,  # one's own messages are never unread
                "title": None,
                "is_group": False,
            },
            {
                "id": with_dave,
                "participants": [summary_json(alice), summary_json(dave)],
                "last_message": None,
                "unread_count": 0,
                "title": None,
                "is_group": False,
            },
        ],
        "next": None,
        # Most recent activity first: the last message's time, then the conversation.
        "previous": page_link(CONVERSATIONS, last.created_at.isoformat(), with_bob, reverse=True),
    }

    # A new message moves a conversation to the top.
    send(alice_client, with_carol, "still there?")
    ids = [item["id"] for item in alice_client.get(CONVERSATIONS).json()["results"]]
    assert ids == [with_carol, with_bob, with_dave]


def test_list_pages_by_activity(alice, alice_client):
    ids = []
    for name in ("carol", "dave", "erin"):
        UserFactory(username=name)
        ids.append(start(alice_client, name))
        send(alice_client, ids[-1], f"hi {name}")

    page = alice_client.get(CONVERSATIONS, {"page_size": 2}).json()
    assert [item["id"] for item in page["results"]] == [ids[2], ids[1]]
    page = alice_client.get(page["next"]).json()
    assert [item["id"] for item in page["results"]] == [ids[0]]
    assert page["next"] is None


def test_list_pages_conversations_active_at_the_same_moment_and_silent_ones(
    alice, alice_client, time_machine
):
    # Keyed by (last message time, id): ties on the time never repeat or skip an item.
    time_machine.move_to(timezone.now(), tick=False)  # the clients' tokens stay valid
    active, silent = [], []
    for name in ("carol", "dave", "erin"):
        UserFactory(username=name)
        active.append(start(alice_client, name))
        send(alice_client, active[-1], f"hi {name}")
    for name in ("frank", "grace"):
        UserFactory(username=name)
        silent.append(start(alice_client, name))

    seen, url = [], f"{CONVERSATIONS}?page_size=1"
    while url:
        page = alice_client.get(url).json()
        seen += [item["id"] for item in page["results"]]
        url = page["next"]

    assert seen == active[::-1] + silent[::-1]
    # And back from the last one, through the silent ones and the tie, to the top.
    back, url = [], page["previous"]
    while url:
        page = alice_client.get(url).json()
        if not page["results"]:
            break
        back = [item["id"] for item in page["results"]] + back
        url = page["previous"]
    assert back == seen[:-1]


def test_list_shows_only_my_conversations(alice_client, bob):
    start(alice_client, "bob")
    outsider = authenticate(APIClient(), UserFactory())

    assert outsider.get(CONVERSATIONS).json()["results"] == []


# --- messages ------------------------------------------------------------------------------


def test_send_message_is_201(alice, alice_client, bob):
    conversation_id = start(alice_client, "bob")

    response = alice_client.post(messages_url(conversation_id), {"text": "Hello, Bob!"})
    assert response.status_code == 201
    message = Message.objects.get()
    assert response.json() == {
        "id": message.pk,
        "sender": summary_json(alice),
        "text": "Hello, Bob!",
        "created_at": iso(message.created_at),
    }


def test_messages_are_newest_first(alice_client, bob_client, bob):
    conversation_id = start(alice_client, "bob")
    first = send(alice_client, conversation_id, "one")
    second = send(bob_client, conversation_id, "two")
    third = send(alice_client, conversation_id, "three")

    response = bob_client.get(messages_url(conversation_id))
    assert response.status_code == 200
    assert response.json()["results"] == [message_json(m) for m in (third, second, first)]

    page = bob_client.get(messages_url(conversation_id), {"page_size": 2}).json()
    assert [item["id"] for item in page["results"]] == [third.pk, second.pk]
    assert [item["id"] for item in bob_client.get(page["next"]).json()["results"]] == [first.pk]


def test_message_of_1000_characters_is_accepted(alice_client, bob):
    conversation_id = start(alice_client, "bob")
    response = alice_client.post(messages_url(conversation_id), {"text": "x" * 1000})
    assert response.status_code == 201
    assert response.json()["text"] == "x" * 1000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "This field may not be blank."),
        ("     ", "This field may not be blank."),
        ("x" * 1001, "Ensure this field has no more than 1000 characters."),
    ],
    ids=["empty", "only-spaces", "1001-characters"],
)
def test_invalid_message_text_is_400(alice_client, bob, text, message):
    conversation_id = start(alice_client, "bob")

    response = alice_client.post(messages_url(conversation_id), {"text": text})
    assert response.status_code == 400
    assert response.json() == error("validation_error", fields={"text": [message]})
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "messages/"), ("post", "messages/"), ("post", "read/")],
)
def test_non_participant_gets_404(alice_client, bob, method, path):
    conversation_id = start(alice_client, "bob")
    send(alice_client, conversation_id, "private")
    outsider = authenticate(APIClient(), UserFactory())

    body = {"text": "x"} if path == "messages/" else None  # read/ takes no body
    response = getattr(outsider, method)(f"{CONVERSATIONS}{conversation_id}/{path}", body)
    assert response.status_code == 404
    assert response.json() == error("not_found")
    assert Message.objects.count() == 1


def test_missing_conversation_is_404(alice_client):
    response = alice_client.get(messages_url(999999))
    assert response.status_code == 404
    assert response.json() == error("not_found")


def test_unauthenticated_is_401(api_client, db):
    for response in (api_client.get(CONVERSATIONS), api_client.post(CONVERSATIONS)):
        assert response.status_code == 401
        assert response.json() == error("not_authenticated")


# --- read markers --------------------------------------------------------------------------


def test_read_is_204_and_clears_the_unread_count(alice_client, bob_client, bob):
    conversation_id = start(alice_client, "bob")
    send(bob_client, conversation_id, "one")
    send(bob_client, conversation_id, "two")
    assert alice_client.get(CONVERSATIONS).json()["results"][0]["unread_count"] == 2

    response = alice_client.post(f"{CONVERSATIONS}{conversation_id}/read/")
    assert response.status_code == 204
    assert response.content == b""
    assert alice_client.get(CONVERSATIONS).json()["results"][0]["unread_count"] == 0

    # Later messages are unread again; reading twice is harmless.
    send(bob_client, conversation_id, "three")
    assert alice_client.get(CONVERSATIONS).json()["results"][0]["unread_count"] == 1
    assert alice_client.post(f"{CONVERSATIONS}{conversation_id}/read/").status_code == 204
    assert alice_client.post(f"{CONVERSATIONS}{conversation_id}/read/").status_code == 204
    assert alice_client.get(CONVERSATIONS).json()["results"][0]["unread_count"] == 0


def test_sending_leaves_the_senders_own_count_at_zero(alice_client, bob_client, bob):
    conversation_id = start(alice_client, "bob")
    send(bob_client, conversation_id, "hi")
    send(alice_client, conversation_id, "hello")  # answering reads what came before

    assert alice_client.get(CONVERSATIONS).json()["results"][0]["unread_count"] == 0
    assert bob_client.get(CONVERSATIONS).json()["results"][0]["unread_count"] == 1


# --- notification and push -----------------------------------------------------------------


def test_message_notifies_and_pushes_to_both_participants(
    alice, bob, alice_client, django_capture_on_commit_callbacks
):
    conversation_id = start(alice_client, "bob")
    bob_listener, alice_listener = StreamListener(bob.pk), StreamListener(alice.pk)

    with django_capture_on_commit_callbacks(execute=True):
        message = send(alice_client, conversation_id, "Hello, Bob!")

    notification = Notification.objects.get()
    assert (notification.recipient_id, notification.actor_id, notification.verb) == (
        bob.pk,
        alice.pk,
        "message",
    )
    message_event = {
        "type": "message",
        "conversation_id": conversation_id,
        "message": message_json(message),
    }
    assert bob_listener.events() == [
        {
            "type": "notification",
            "notification": {
                "id": notification.pk,
                "verb": "message",
                "actor": summary_json(alice),
                "tweet": None,
                "comment": None,
                "report": None,
                "unread": True,
                "created_at": iso(notification.created_at),
            },
            "unread_count": 1,
        },
        message_event,
    ]
    # The sender's other devices see their own message too; the sender is not notified.
    assert alice_listener.events() == [message_event]


def test_every_message_notifies(alice_client, bob):
    conversation_id = start(alice_client, "bob")
    send(alice_client, conversation_id, "one")
    send(alice_client, conversation_id, "two")

    assert Notification.objects.filter(recipient=bob, verb="message").count() == 2


# --- query counts --------------------------------------------------------------------------


@pytest.fixture
def busy_alice(alice):
    """Alice with 21 conversations, each with messages from both sides (made through the
    services, for speed): the one with Bob has 20 messages."""
    for index in range(20):
        other = UserFactory()
        conversation, _ = services.get_or_create_conversation(user=alice, username=other.username)
        services.send_message(sender=alice, conversation=conversation, text=f"hello {index}")
        services.send_message(sender=other, conversation=conversation, text=f"hi {index}")
    bob = UserFactory(username="bob")
    with_bob, _ = services.get_or_create_conversation(user=alice, username=bob.username)
    for index in range(20):
        services.send_message(sender=bob, conversation=with_bob, text=f"message {index}")
    return alice, with_bob.pk


@pytest.mark.parametrize("page_size", [1, 20])
def test_conversations_query_count_does_not_grow_with_the_page(
    busy_alice, django_assert_num_queries, page_size
):
    """The caller; the page of conversations with last message, sender and unread count;
    the participants (prefetched)."""
    alice, _ = busy_alice
    client = authenticate(APIClient(), alice)

    with django_assert_num_queries(3):
        response = client.get(CONVERSATIONS, {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize("page_size", [1, 20])
def test_messages_query_count_does_not_grow_with_the_page(
    busy_alice, django_assert_num_queries, page_size
):
    """The caller; the conversation (participant check) and its participants; the page of
    messages with their senders."""
    alice, with_bob = busy_alice
    client = authenticate(APIClient(), alice)

    with django_assert_num_queries(4):
        response = client.get(messages_url(with_bob), {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
