"""Group conversations over REST (docs/api.md, Chat): created with 2-49 others and an
optional title, participants added by a participant, left with DELETE participants/me/;
whoever left sees nothing newer; blocks apply to whom one may add. Read receipts: POST read/
pushes a `read` event to the other participants."""

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from messaging import services
from messaging.models import Conversation, ConversationMember, Message
from notifications.models import Notification
from safety.models import Block
from tests.conftest import authenticate
from tests.factories import UserFactory
from tests.shapes import error, iso, summary_json
from tests.streams import StreamListener

CONVERSATIONS = "/api/v1/conversations/"


def participants_url(conversation_id: int) -> str:
    return f"{CONVERSATIONS}{conversation_id}/participants/"


def create_group(client, usernames: list[str], **extra) -> dict:
    response = client.post(CONVERSATIONS, {"usernames": usernames, **extra})
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def carol(db):
    return UserFactory(username="carol")


@pytest.fixture
def dave(db):
    return UserFactory(username="dave")


def test_create_group_is_201_with_everyone_and_the_title(alice, bob, carol, alice_client):
    response = alice_client.post(CONVERSATIONS, {"usernames": ["bob", "CAROL"], "title": "Lunch"})
    assert response.status_code == 201
    conversation = Conversation.objects.get()
    assert response.json() == {
        "id": conversation.pk,
        "participants": [summary_json(alice), summary_json(bob), summary_json(carol)],
        "last_message": None,
        "unread_count": 0,
        "title": "Lunch",
        "is_group": True,
    }
    # Another group of the same people is another conversation; one-to-ones stay apart.
    assert create_group(alice_client, ["bob", "carol"])["title"] is None
    one_to_one = alice_client.post(CONVERSATIONS, {"username": "bob"})
    assert one_to_one.status_code == 201
    assert one_to_one.json()["is_group"] is False
    assert Conversation.objects.count() == 3


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"usernames": ["bob"]}, {"usernames": ["Ensure this field has at least 2 elements."]}),
        ({"usernames": ["bob", "BOB"]}, {"usernames": ["Name each user once."]}),
        (
            {"usernames": ["bob", "carol"], "title": "x" * 81},
            {"title": ["Ensure this field has no more than 80 characters."]},
        ),
        ({"username": "bob", "title": "Lunch"}, {"title": ["Only a group has a title."]}),
        (
            {"username": "bob", "usernames": ["bob", "carol"]},
            {"username": ["Send `username` for a one-to-one, or `usernames` for a group."]},
        ),
    ],
    ids=["one-other", "twice", "long-title", "title-one-to-one", "both"],
)
def test_invalid_group_is_400(alice_client, bob, carol, body, fields):
    response = alice_client.post(CONVERSATIONS, body, format="json")
    assert response.status_code == 400
    assert response.json() == error("validation_error", fields=fields)
    assert Conversation.objects.count() == 0


def test_group_of_50_others_is_400_and_of_49_is_201(alice_client):
    names = [UserFactory(username=f"member{n}").username for n in range(50)]
    response = alice_client.post(CONVERSATIONS, {"usernames": names})
    assert response.status_code == 400
    assert response.json() == error(
        "validation_error",
        fields={"usernames": ["Ensure this field has no more than 49 elements."]},
    )
    assert len(create_group(alice_client, names[:49])["participants"]) == 50


def test_group_with_an_unknown_user_or_oneself_is_refused(alice_client, bob):
    response = alice_client.post(CONVERSATIONS, {"usernames": ["bob", "nobody"]})
    assert response.status_code == 404
    assert response.json() == error("not_found")
    response = alice_client.post(CONVERSATIONS, {"usernames": ["bob", "alice"]})
    assert response.status_code == 400
    assert response.json() == error("cannot_message_self")
    assert Conversation.objects.count() == 0


@pytest.mark.parametrize("direction", ["they-block-me", "i-block-them"])
def test_group_with_someone_blocked_either_way_is_403(alice, bob, carol, alice_client, direction):
    blocker, blocked = (carol, alice) if direction == "they-block-me" else (alice, carol)
    Block.objects.create(blocker=blocker, blocked=blocked)
    response = alice_client.post(CONVERSATIONS, {"usernames": ["bob", "carol"]})
    assert response.status_code == 403
    assert response.json() == error("blocked")
    assert Conversation.objects.count() == 0


def test_every_participant_gets_each_message_once(
    alice, bob, carol, alice_client, make_auth_client, django_capture_on_commit_callbacks
):
    group = create_group(alice_client, ["bob", "carol"])
    listeners = {user.username: StreamListener(user.pk) for user in (alice, bob, carol)}
    with django_capture_on_commit_callbacks(execute=True):
        response = make_auth_client(bob).post(
            f"{CONVERSATIONS}{group['id']}/messages/", {"text": "hi all"}
        )
    assert response.status_code == 201
    message = Message.objects.get()
    for name, listener in listeners.items():
        events = listener.events()
        assert [e for e in events if e["type"] == "message"] == [
            {
                "type": "message",
                "conversation_id": group["id"],
                "message": {
                    "id": message.pk,
                    "sender": summary_json(bob),
                    "text": "hi all",
                    "created_at": iso(message.created_at),
                },
            }
        ], name
    # The others are notified; the sender is not.
    assert sorted(n.recipient.username for n in Notification.objects.all()) == ["alice", "carol"]
    listed = alice_client.get(CONVERSATIONS).json()["results"][0]
    assert listed["unread_count"] == 1
    assert listed["last_message"]["id"] == message.pk


def test_a_participant_adds_someone_who_then_sees_the_group(
    alice, bob, carol, dave, alice_client, make_auth_client
):
    group = create_group(alice_client, ["bob", "carol"], title="Trip")
    bob_client = make_auth_client(bob)
    bob_client.post(f"{CONVERSATIONS}{group['id']}/messages/", {"text": "before dave"})

    response = bob_client.post(participants_url(group["id"]), {"username": "dave"})
    assert response.status_code == 200
    body = response.json()
    assert [p["username"] for p in body["participants"]] == ["alice", "bob", "carol", "dave"]
    assert body["title"] == "Trip"
    # Adding again changes nothing.
    again = bob_client.post(participants_url(group["id"]), {"username": "dave"})
    assert again.status_code == 200
    assert ConversationMember.objects.filter(conversation_id=group["id"]).count() == 4
    # What was sent before joining is not unread for the newcomer.
    dave_client = make_auth_client(dave)
    listed = dave_client.get(CONVERSATIONS).json()["results"]
    assert [(c["id"], c["unread_count"]) for c in listed] == [(group["id"], 0)]


def test_adding_to_a_one_to_one_or_as_an_outsider_is_refused(alice, bob, carol, alice_client):
    one_to_one = alice_client.post(CONVERSATIONS, {"username": "bob"}).json()
    response = alice_client.post(participants_url(one_to_one["id"]), {"username": "carol"})
    assert response.status_code == 400
    assert response.json() == error("not_a_group")
    group = create_group(alice_client, ["bob", "carol"])
    outsider = UserFactory(username="eve")
    response = authenticate(APIClient(), outsider).post(
        participants_url(group["id"]), {"username": "eve"}
    )
    assert response.status_code == 404
    assert response.json() == error("not_found")


@pytest.mark.parametrize("direction", ["they-block-me", "i-block-them"])
def test_someone_blocked_either_way_cannot_be_added(
    alice, bob, carol, dave, alice_client, direction
):
    group = create_group(alice_client, ["bob", "carol"])
    blocker, blocked = (dave, alice) if direction == "they-block-me" else (alice, dave)
    Block.objects.create(blocker=blocker, blocked=blocked)
    response = alice_client.post(participants_url(group["id"]), {"username": "dave"})
    assert response.status_code == 403
    assert response.json() == error("blocked")
    assert not ConversationMember.objects.filter(user=dave).exists()


def test_a_full_group_refuses_another_participant(alice_client):
    names = [UserFactory(username=f"member{n}").username for n in range(50)]
    group = create_group(alice_client, names[:49])
    response = alice_client.post(participants_url(group["id"]), {"username": names[49]})
    assert response.status_code == 400
    assert response.json() == error("group_full")


def test_who_left_sees_nothing_newer(
    alice, bob, carol, alice_client, make_auth_client, django_capture_on_commit_callbacks
):
    group = create_group(alice_client, ["bob", "carol"])
    carol_client = make_auth_client(carol)
    leave = f"{participants_url(group['id'])}me/"

    response = carol_client.delete(leave)
    assert response.status_code == 204
    carol_listener = StreamListener(carol.pk)
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(f"{CONVERSATIONS}{group['id']}/messages/", {"text": "after carol"})
    assert carol_listener.events() == []
    assert not Notification.objects.filter(recipient=carol).exists()
    assert carol_client.get(CONVERSATIONS).json()["results"] == []
    assert carol_client.get(f"{CONVERSATIONS}{group['id']}/messages/").status_code == 404
    assert carol_client.delete(leave).status_code == 404
    remaining = alice_client.get(CONVERSATIONS).json()["results"][0]["participants"]
    assert [p["username"] for p in remaining] == ["alice", "bob"]


def test_a_one_to_one_cannot_be_left(alice_client, bob):
    one_to_one = alice_client.post(CONVERSATIONS, {"username": "bob"}).json()
    response = alice_client.delete(f"{participants_url(one_to_one['id'])}me/")
    assert response.status_code == 400
    assert response.json() == error("not_a_group")


def test_read_pushes_a_read_event_to_the_others_and_counts_exactly(
    alice, bob, carol, alice_client, make_auth_client, django_capture_on_commit_callbacks
):
    group = create_group(alice_client, ["bob", "carol"])
    bob_client = make_auth_client(bob)
    messages = f"{CONVERSATIONS}{group['id']}/messages/"
    for text in ("one", "two", "three"):
        alice_client.post(messages, {"text": text})
    bob_client.post(messages, {"text": "four"})
    carol_client = make_auth_client(carol)
    assert carol_client.get(CONVERSATIONS).json()["results"][0]["unread_count"] == 4
    assert alice_client.get(CONVERSATIONS).json()["results"][0]["unread_count"] == 1

    listeners = {user.username: StreamListener(user.pk) for user in (alice, bob, carol)}
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = carol_client.post(f"{CONVERSATIONS}{group['id']}/read/")
    assert response.status_code == 204
    last = Message.objects.order_by("-id").first()
    expected = {
        "type": "read",
        "conversation_id": group["id"],
        "user": summary_json(carol),
        "at": listeners["alice"].events()[0]["at"],
        "last_read_message_id": last.pk,
    }
    assert listeners["bob"].events() == [expected]
    assert listeners["carol"].events() == []
    assert expected["at"] >= iso(now)
    assert carol_client.get(CONVERSATIONS).json()["results"][0]["unread_count"] == 0
    # Reading again moves nothing and says nothing.
    with django_capture_on_commit_callbacks(execute=True):
        carol_client.post(f"{CONVERSATIONS}{group['id']}/read/")
    assert listeners["bob"].events() == []


def test_a_read_that_rolls_back_pushes_nothing(
    alice, bob, carol, alice_client, django_capture_on_commit_callbacks
):
    group = create_group(alice_client, ["bob", "carol"])
    alice_client.post(f"{CONVERSATIONS}{group['id']}/messages/", {"text": "read me"})
    conversation = Conversation.objects.get(pk=group["id"])
    alice_listener = StreamListener(alice.pk)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.mark_conversation_read(user=bob, conversation=conversation)
        raise RuntimeError("the surrounding work failed")
    assert alice_listener.events() == []
    assert (
        ConversationMember.objects.get(conversation=conversation, user=bob).last_read_message_id
        == 0
    )
