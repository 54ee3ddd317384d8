"""GET, PATCH /api/v1/me/notification-settings/: a boolean per verb, applied when a
notification would be created (docs/api.md "Notifications")."""

import pytest

from notifications.models import Notification, Verb
from tests.factories import TweetFactory
from tests.shapes import error

pytestmark = pytest.mark.django_db

SETTINGS = "/api/v1/me/notification-settings/"
ALL_ON = {verb.value: True for verb in Verb}


def test_every_verb_is_on_by_default(alice_client):
    response = alice_client.get(SETTINGS)

    assert response.status_code == 200
    assert response.json() == ALL_ON


def test_patch_turns_verbs_off_and_on_again(alice_client):
    response = alice_client.patch(
        SETTINGS, {"liked_tweet": False, "followed": False}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {**ALL_ON, "liked_tweet": False, "followed": False}
    assert alice_client.get(SETTINGS).json() == response.json()
    again = alice_client.patch(SETTINGS, {"liked_tweet": False}, format="json")  # a no-op
    assert again.json() == response.json()

    response = alice_client.patch(SETTINGS, {"followed": True}, format="json")

    assert response.json() == {**ALL_ON, "liked_tweet": False}


def test_a_verb_turned_off_creates_no_notification(alice, bob, alice_client, bob_client):
    alice_client.patch(SETTINGS, {"liked_tweet": False}, format="json")
    tweet = TweetFactory(user=alice)

    bob_client.post(f"/api/v1/tweets/{tweet.pk}/like/")
    bob_client.post(f"/api/v1/tweets/{tweet.pk}/comments/", {"text": "nice"})

    assert [n["verb"] for n in alice_client.get("/api/v1/notifications/").json()["results"]] == [
        "commented"
    ]
    # Applied at creation: turning it back on does not bring the missed one back.
    alice_client.patch(SETTINGS, {"liked_tweet": True}, format="json")
    assert not Notification.objects.filter(recipient=alice, verb="liked_tweet").exists()


def test_settings_are_per_user(alice, bob, alice_client, bob_client):
    alice_client.patch(SETTINGS, {"mentioned": False}, format="json")

    alice_client.post("/api/v1/tweets/", {"text": "hi @bob"})

    assert Notification.objects.filter(recipient=bob, verb="mentioned").count() == 1
    assert bob_client.get(SETTINGS).json() == ALL_ON


def test_a_setting_must_be_a_boolean(alice_client):
    response = alice_client.patch(SETTINGS, {"liked_tweet": "sometimes"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["fields"]) == ["liked_tweet"]


def test_settings_need_a_signed_in_user(api_client):
    response = api_client.get(SETTINGS)

    assert response.status_code == 401
    assert response.json() == error("not_authenticated")
