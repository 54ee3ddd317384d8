"""Strict input (docs/api.md, "Writes: strict input and idempotency"): a write whose body names a
field the endpoint does not know answers 400 and does nothing, on every write operation."""

import pytest

from friendships.models import Friendship
from tests.conftest import authenticate
from tests.core.test_browsable_api import concrete, schema, world  # noqa: F401 (fixtures)
from tests.shapes import error
from tests.tweets.helpers import image_upload
from tweets.models import Tweet

pytestmark = pytest.mark.django_db

WRITES = ("post", "put", "patch", "delete")


def unknown(*names: str) -> dict:
    return error("validation_error", "Invalid input.", {name: ["Unknown field."] for name in names})


def test_every_write_operation_of_the_schema_refuses_an_unknown_field(schema, world, api_client):  # noqa: F811
    authenticate(api_client, world["alice"])
    answers = {}
    for template, operations in schema["paths"].items():
        for method in WRITES:
            if method in operations:
                path = concrete(template, world)
                response = getattr(api_client, method)(path, {"in_reply_to": 1}, format="json")
                answers[f"{method.upper()} {template}"] = (response.status_code, response.json())
    assert len(answers) > 30
    expected = (400, unknown("in_reply_to"))
    assert {operation: answer for operation, answer in answers.items() if answer != expected} == {}


def test_an_unknown_field_beside_valid_ones_creates_nothing(alice_client, alice):
    response = alice_client.post(
        "/api/v1/tweets/", {"text": "a reply?", "in_reply_to": 7, "quote_of": 3}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == unknown("in_reply_to", "quote_of")
    assert not Tweet.objects.exists()


def test_a_multipart_tweet_with_photos_refuses_an_unknown_field(alice_client):
    response = alice_client.post(
        "/api/v1/tweets/",
        {"text": "look", "photos": [image_upload()], "title": "My photo"},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == unknown("title")
    assert not Tweet.objects.exists()


def test_a_multipart_tweet_with_its_known_fields_is_created(alice_client):
    response = alice_client.post(
        "/api/v1/tweets/",
        {"text": "look", "photos": [image_upload(), image_upload()]},
        format="multipart",
    )

    assert response.status_code == 201
    assert len(response.json()["photos"]) == 2


def test_a_toggle_refuses_a_body_field(alice_client, bob):
    response = alice_client.post("/api/v1/users/bob/follow/", {"notify": True}, format="json")

    assert response.status_code == 400
    assert response.json() == unknown("notify")
    assert not Friendship.objects.exists()


def test_query_parameters_are_not_body_fields(alice_client):
    response = alice_client.post("/api/v1/tweets/?source=app", {"text": "hi"}, format="json")

    assert response.status_code == 201


def test_an_anonymous_write_with_an_unknown_field_stays_401(api_client):
    response = api_client.post("/api/v1/tweets/", {"text": "hi", "extra": 1}, format="json")

    assert response.status_code == 401


def test_a_method_the_path_lacks_stays_405(alice_client):
    response = alice_client.put("/api/v1/notifications/mark-all-read/", {"x": 1}, format="json")

    assert response.status_code == 405


def test_the_schema_says_request_bodies_take_no_other_fields(schema):  # noqa: F811
    bodies = {
        media["schema"]["$ref"].rsplit("/", 1)[1]
        for operations in schema["paths"].values()
        for operation in operations.values()
        for media in operation.get("requestBody", {}).get("content", {}).values()
    }
    components = schema["components"]["schemas"]
    assert "TweetCreateInputRequest" in bodies
    assert {
        name for name in bodies if components[name].get("additionalProperties") is not False
    } == set()
