"""The browsable API: every GET of the OpenAPI schema renders as an HTML page for a browser,
anonymous and signed in, DEBUG on or off; errors keep their envelope whatever `Accept` says."""

import html
import json
import re

import pytest
from django.test import Client

from facebook_connect.models import FacebookDataDeletion, FacebookShare
from messaging.services import get_or_create_conversation, send_message
from tests.factories import CommentFactory, FriendshipFactory, TweetFactory, UserFactory
from tests.shapes import error
from tweets.services import like_tweet

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def get_paths(django_db_blocker):
    """Every GET path template of the schema (the schema view needs no rows)."""
    with django_db_blocker.unblock():
        schema = Client().get("/api/schema/?format=json").json()
    return sorted(path for path, operations in schema["paths"].items() if "get" in operations)


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    """Real rows for every path parameter, with something in each list."""
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    with django_capture_on_commit_callbacks(execute=True):
        FriendshipFactory(follower=bob, followee=alice)
        FriendshipFactory(follower=alice, followee=bob)
        tweet = TweetFactory(user=alice, text="hello #browsers @bob")
        comment = CommentFactory(tweet=tweet, user=bob, text="nice")
        like_tweet(user=bob, tweet_id=tweet.pk)
        conversation, _ = get_or_create_conversation(user=alice, username="bob")
        send_message(sender=bob, conversation=conversation, text="hi alice")
    share = FacebookShare.objects.create(user=alice, tweet=tweet, page_id="42")
    deletion = FacebookDataDeletion.objects.create(confirmation_code="abc123", status="done")
    return {
        "alice": alice,
        "params": {
            "id": tweet.pk,
            "tweet_id": tweet.pk,
            "username": "alice",
            "confirmation_code": deletion.confirmation_code,
        },
        # Paths whose {id} is not a tweet.
        "ids": {
            "/api/v1/conversations/{id}/messages/": conversation.pk,
            "/api/v1/facebook/shares/{id}/": share.pk,
            "/api/v1/comments/{id}/": comment.pk,
        },
    }


def concrete(path: str, world) -> str:
    params = {**world["params"], "id": world["ids"].get(path, world["params"]["id"])}
    return re.sub(r"\{(\w+)\}", lambda m: str(params[m.group(1)]), path)


def envelope_in(page: bytes) -> dict:
    """The JSON body the browsable API shows inside its <pre> block."""
    match = re.search(rb'<div class="response-info"[^>]*>.*?<pre[^>]*>(.*?)</pre>', page, re.S)
    assert match, "no response block in the page"
    shown = re.sub(r"<[^>]+>", "", match.group(1).decode())
    body = html.unescape(shown.split("\n\n", 1)[1])  # after the status line and headers
    return json.loads(body)


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("signed_in", [False, True])
def test_every_get_renders_as_html(get_paths, world, settings, debug, signed_in):
    settings.DEBUG = debug
    settings.FACEBOOK_APP_ID, settings.FACEBOOK_APP_SECRET = "1234", "app-secret"
    client = Client(raise_request_exception=False)
    if signed_in:
        client.force_login(world["alice"])
    answers, problems = {}, {}
    for template in get_paths:
        path = concrete(template, world)
        response = client.get(path, HTTP_ACCEPT=BROWSER_ACCEPT)
        answers[path] = response.status_code
        if response.status_code in (301, 302):
            continue  # the Facebook dialog redirects: a browser follows it
        if not response["Content-Type"].startswith("text/html"):
            problems[path] = response["Content-Type"]
        elif response.status_code >= 400 and not {"code", "detail"} <= set(
            envelope_in(response.content)
        ):
            problems[path] = "no envelope"
    assert problems == {}
    assert {path: status for path, status in answers.items() if status >= 500} == {}
    if signed_in:
        assert {path: status for path, status in answers.items() if status != 200} == {
            "/api/v1/auth/facebook/authorize/": 302,  # to Facebook's login dialog
            "/api/v1/auth/facebook/callback/": 400,  # no state: not coming from Facebook
        }


def test_a_validation_error_keeps_its_envelope_for_a_browser(db):
    response = Client().post(
        "/api/v1/auth/signup/",
        {"username": "no spaces", "email": "not-an-email", "password": "x"},
        HTTP_ACCEPT=BROWSER_ACCEPT,
    )

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    body = envelope_in(response.content)
    assert body["code"] == "validation_error"
    assert {"username", "email"} <= set(body["fields"])


def test_a_404_keeps_its_detail_for_a_browser(db):
    response = Client().get("/api/v1/users/nobody/", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 404
    assert envelope_in(response.content) == error("not_found", "No user with that username.")


def test_a_401_is_an_html_page_with_the_envelope(db):
    response = Client().get("/api/v1/newsfeed/", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 401
    assert envelope_in(response.content)["code"] == "not_authenticated"
