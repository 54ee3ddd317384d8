"""Idempotent POSTs (docs/api.md, "Writes: strict input and idempotency"; docs/api-writes.md):
a retried POST with the same Idempotency-Key replays the first answer and writes nothing."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from core import tasks
from core.models import IdempotencyKey
from messaging.models import Message
from tests.conftest import authenticate, set_throttle_rates
from tests.core.boom_urls import SECRET
from tests.factories import TweetFactory
from tests.shapes import error
from tests.tweets.helpers import image_upload
from tweets.models import Comment, Like, Tweet

pytestmark = pytest.mark.django_db

TWEETS = "/api/v1/tweets/"


def post(client, path, body=None, key="key-1", **kwargs):
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post(path, body, format=kwargs.pop("format", "json"), headers=headers, **kwargs)


def assert_replayed(first, repeat) -> None:
    assert "Idempotent-Replayed" not in first
    assert repeat["Idempotent-Replayed"] == "true"
    assert (repeat.status_code, repeat.content) == (first.status_code, first.content)
    assert repeat["Content-Type"] == first["Content-Type"]


# --- one write per key ---------------------------------------------------------------------


def test_a_retried_tweet_is_created_once_and_its_answer_replayed(alice_client, alice):
    first = post(alice_client, TWEETS, {"text": "hello"})
    repeat = post(alice_client, TWEETS, {"text": "hello"})

    assert first.status_code == 201
    assert_replayed(first, repeat)
    assert Tweet.objects.filter(user=alice).count() == 1
    assert alice.__class__.objects.get(pk=alice.pk).tweets_count == 1


def comment_on_a_tweet(client) -> tuple[str, dict]:
    return f"/api/v1/tweets/{TweetFactory().pk}/comments/", {"text": "nice"}


def like_a_tweet(client) -> tuple[str, None]:
    return f"/api/v1/tweets/{TweetFactory().pk}/like/", None


def message_bob(client) -> tuple[str, dict]:
    conversation = client.post("/api/v1/conversations/", {"username": "bob"}).json()
    return f"/api/v1/conversations/{conversation['id']}/messages/", {"text": "hi bob"}


@pytest.mark.parametrize(
    ("write", "model", "status"),
    [(comment_on_a_tweet, Comment, 201), (like_a_tweet, Like, 200), (message_bob, Message, 201)],
)
def test_a_retried_write_is_done_once_and_its_answer_replayed(
    alice_client, bob, write, model, status
):
    path, body = write(alice_client)

    first = post(alice_client, path, body)
    repeat = post(alice_client, path, body)

    assert first.status_code == status
    assert_replayed(first, repeat)
    assert model.objects.count() == 1


def test_a_retried_multipart_tweet_with_photos_is_created_once(alice_client):
    def send():
        body = {"text": "look", "photos": [image_upload(), image_upload("PNG")]}
        return post(alice_client, TWEETS, body, format="multipart")

    first, repeat = send(), send()

    assert first.status_code == 201
    assert_replayed(first, repeat)
    assert Tweet.objects.count() == 1


def test_the_same_json_in_another_key_order_is_the_same_request(alice_client):
    def send(raw: str):
        return alice_client.post(
            TWEETS, raw, content_type="application/json", headers={"Idempotency-Key": "k"}
        )

    first = send('{"text": "hi", "photos": []}')
    repeat = send('{ "photos":[],"text":"hi" }')

    assert first.status_code == 201
    assert_replayed(first, repeat)


def test_without_a_key_each_post_writes(alice_client):
    post(alice_client, TWEETS, {"text": "hello"}, key=None)
    post(alice_client, TWEETS, {"text": "hello"}, key=None)

    assert Tweet.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


def test_keys_belong_to_their_user(alice_client, bob_client):
    post(alice_client, TWEETS, {"text": "hello"})
    answer = post(bob_client, TWEETS, {"text": "hello"})

    assert answer.status_code == 201
    assert "Idempotent-Replayed" not in answer
    assert Tweet.objects.count() == 2


def test_a_client_error_is_stored_and_replayed(alice_client):
    first = post(alice_client, "/api/v1/tweets/999999/like/")
    TweetFactory(id=999999)
    repeat = post(alice_client, "/api/v1/tweets/999999/like/")

    assert first.status_code == 404
    assert_replayed(first, repeat)
    assert not Like.objects.exists()


def test_a_replay_reads_and_writes_nothing_but_the_key(alice_client):
    post(alice_client, TWEETS, {"text": "hello"})

    with CaptureQueriesContext(connection) as queries:
        repeat = post(alice_client, TWEETS, {"text": "hello"})

    assert repeat["Idempotent-Replayed"] == "true"
    # Savepoints aside (a test runs inside a transaction), the signed-in user, then the key:
    # an INSERT refused by the unique (user, key), and the SELECT of the stored answer.
    statements = [
        re.match(r'(\w+) .*?(?:FROM|INTO) "(\w+)"', query["sql"]).groups()
        for query in queries
        if "SAVEPOINT" not in query["sql"]
    ]
    assert statements == [
        ("SELECT", "accounts_user"),
        ("INSERT", "core_idempotencykey"),
        ("SELECT", "core_idempotencykey"),
    ]


# --- refusals ------------------------------------------------------------------------------


def test_the_same_key_with_another_body_is_422(alice_client):
    post(alice_client, TWEETS, {"text": "hello"})

    response = post(alice_client, TWEETS, {"text": "hello again"})

    assert response.status_code == 422
    assert response.json() == error("idempotency_key_reused")
    assert Tweet.objects.count() == 1


def test_the_same_key_on_another_path_is_422(alice_client):
    tweet = TweetFactory()
    post(alice_client, f"/api/v1/tweets/{tweet.pk}/like/")

    response = post(alice_client, f"/api/v1/tweets/{tweet.pk}/retweet/")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    tweet.refresh_from_db()
    assert tweet.retweets_count == 0


def test_the_same_key_with_another_photo_is_422(alice_client):
    post(alice_client, TWEETS, {"photos": [image_upload(size=(64, 48))]}, format="multipart")

    response = post(
        alice_client, TWEETS, {"photos": [image_upload(size=(48, 64))]}, format="multipart"
    )

    assert response.status_code == 422
    assert Tweet.objects.count() == 1


def test_a_repeat_while_the_first_still_runs_is_409(alice_client, alice):
    # The first request holds the key (reserved, no answer yet), as while it runs.
    post(alice_client, TWEETS, {"text": "hello"})
    IdempotencyKey.objects.update(state=IdempotencyKey.State.RUNNING, body=b"")

    response = post(alice_client, TWEETS, {"text": "hello"})

    assert response.status_code == 409
    assert response.json() == error("idempotency_key_in_use")
    assert Tweet.objects.count() == 1


@pytest.mark.parametrize("key", ["", " ", "a b", "é", "x" * 256, "tab\there"])
def test_an_invalid_key_is_400(alice_client, key):
    response = post(alice_client, TWEETS, {"text": "hello"}, key=key)

    assert response.status_code == 400
    assert response.json() == error("idempotency_key_invalid")
    assert not Tweet.objects.exists()


@pytest.mark.parametrize("key", ["x", "!~", "x" * 255, "7f9c2ba4-e88f-11e4-9f2c-0800200c9a66"])
def test_keys_of_1_to_255_visible_ascii_characters_are_accepted(alice_client, key):
    assert post(alice_client, TWEETS, {"text": "hello"}, key=key).status_code == 201


def test_an_anonymous_post_ignores_the_key(api_client):
    body = {"username": "carol", "email": "carol@example.com", "password": "a-long-passphrase-9"}

    first = post(api_client, "/api/v1/auth/signup/", body)
    repeat = post(api_client, "/api/v1/auth/signup/", body)

    assert first.status_code == 201
    assert repeat.status_code == 400  # not a replay: the username is taken now
    assert "Idempotent-Replayed" not in repeat
    assert not IdempotencyKey.objects.exists()


def test_a_throttled_post_is_not_stored(alice_client, settings):
    set_throttle_rates(settings, post="1/min")
    post(alice_client, TWEETS, {"text": "one"}, key="a")

    response = post(alice_client, TWEETS, {"text": "two"}, key="b")

    assert response.status_code == 429
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["a"]


# --- failures, expiry ----------------------------------------------------------------------


@pytest.fixture
def boom_client(settings, alice):
    settings.ROOT_URLCONF = "tests.core.boom_urls"
    return authenticate(APIClient(raise_request_exception=False), alice)


@pytest.mark.parametrize(("failure", "status"), [("crash", 500), ("redis-down", 503)])
def test_a_5xx_is_not_stored_and_the_retry_runs_again(boom_client, failure, status):
    path = f"/api/v1/test-boom/idempotent/{failure}/"

    first = post(boom_client, path)
    repeat = post(boom_client, path)

    assert (first.status_code, repeat.status_code) == (status, status)
    assert "Idempotent-Replayed" not in repeat
    assert SECRET.encode() not in repeat.content
    assert not IdempotencyKey.objects.exists()


def later(time_machine, client, user, delta: timedelta):
    """Move the clock on; the client gets a fresh access token (they last 5 minutes)."""
    time_machine.shift(delta)
    authenticate(client, user)


def test_a_key_is_kept_24_hours(alice_client, alice, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    first = post(alice_client, TWEETS, {"text": "hello"})

    later(time_machine, alice_client, alice, timedelta(hours=24) - timedelta(seconds=1))
    assert_replayed(first, post(alice_client, TWEETS, {"text": "hello"}))

    later(time_machine, alice_client, alice, timedelta(seconds=1))
    again = post(alice_client, TWEETS, {"text": "hello"})
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Tweet.objects.count() == 2


def test_a_key_left_running_by_a_request_that_died_is_taken_over(alice_client, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    post(alice_client, TWEETS, {"text": "hello"})
    IdempotencyKey.objects.update(state=IdempotencyKey.State.RUNNING)

    time_machine.shift(timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS - 1))
    assert post(alice_client, TWEETS, {"text": "hello"}).status_code == 409
    time_machine.shift(timedelta(seconds=1))
    response = post(alice_client, TWEETS, {"text": "hello"})

    assert response.status_code == 201
    assert IdempotencyKey.objects.get().state == IdempotencyKey.State.DONE


def test_the_periodic_task_purges_expired_keys_only(alice_client, alice, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    post(alice_client, TWEETS, {"text": "old"}, key="old")
    later(time_machine, alice_client, alice, timedelta(hours=12))
    post(alice_client, TWEETS, {"text": "new"}, key="new")
    time_machine.shift(timedelta(hours=12))

    assert tasks.purge_idempotency_keys.delay().get() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_the_purge_runs_on_celery_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["purge-idempotency-keys"]
    assert entry["task"] == "core.tasks.purge_idempotency_keys"


# --- the schema ----------------------------------------------------------------------------


def test_the_schema_documents_the_header_and_its_errors(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    create = schema["paths"]["/api/v1/tweets/"]["post"]
    signup = schema["paths"]["/api/v1/auth/signup/"]["post"]

    headers = [p for p in create["parameters"] if p["in"] == "header"]
    assert [p["name"] for p in headers] == ["Idempotency-Key"]
    assert {"409", "422"} <= set(create["responses"])
    assert not [p for p in signup.get("parameters", []) if p["in"] == "header"]
    posts = [ops["post"] for ops in schema["paths"].values() if "post" in ops]
    keyed = [
        op for op in posts if any(p["name"] == "Idempotency-Key" for p in op.get("parameters", []))
    ]
    assert len(keyed) >= 15
    assert all({"409", "422"} <= set(op["responses"]) for op in keyed)


def test_browser_clients_may_send_the_key_and_read_the_replay_header(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]

    response = api_client.options(
        TWEETS,
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key",
    )

    assert "idempotency-key" in response["Access-Control-Allow-Headers"]
    answer = api_client.get(TWEETS, HTTP_ORIGIN="https://app.example.com")
    assert answer["Access-Control-Expose-Headers"] == "Idempotent-Replayed"
