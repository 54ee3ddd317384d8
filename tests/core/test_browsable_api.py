"""The browsable API: every GET of the OpenAPI schema renders as an HTML page for a browser,
anonymous and signed in, DEBUG on or off; errors keep their envelope whatever `Accept` says."""

import html
import json
import re

import pytest
from django.test import Client

from facebook_connect.models import FacebookDataDeletion, FacebookShare
from lifecycle.models import DataExport
from messaging.services import get_or_create_conversation, send_message
from notifications.models import Notification
from tests.factories import (
    DEFAULT_PASSWORD,
    CommentFactory,
    FriendshipFactory,
    TweetFactory,
    UserFactory,
)
from tests.shapes import error
from tests.tweets.helpers import image_upload
from tweets.services import like_tweet

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():  # the schema view needs no rows
        return Client().get("/api/schema/?format=json").json()


@pytest.fixture(scope="module")
def get_paths(schema):
    """Every GET path template of the schema."""
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
    export = DataExport.objects.create(user=alice)
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
            "/api/v1/comments/{id}/like/": comment.pk,
            "/api/v1/notifications/{id}/": Notification.objects.filter(recipient=alice)[0].pk,
            "/api/v1/me/exports/{id}/": export.pk,
            "/api/v1/me/exports/{id}/download/": export.pk,
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
            f"/api/v1/me/exports/{world['ids']['/api/v1/me/exports/{id}/']}/download/": 404,
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


def test_the_session_login_lands_on_the_newsfeed(world):
    client = Client()
    client.get("/api-auth/login/")

    response = client.post(
        "/api-auth/login/",
        {"username": "alice", "password": DEFAULT_PASSWORD},
        HTTP_ACCEPT=BROWSER_ACCEPT,
        follow=True,
    )

    assert response.redirect_chain == [("/api/v1/newsfeed/", 302)]
    assert response.status_code == 200
    assert b"Chirp API" in response.content
    assert b"hello #browsers" in response.content


# --- forms -------------------------------------------------------------------------------


def request_fields(schema, operation: dict) -> set[str]:
    """The fields of an operation's documented request body (none when it takes none)."""
    content = operation.get("requestBody", {}).get("content", {})
    if not content:
        return set()
    body = content.get("multipart/form-data") or next(iter(content.values()))
    name = body["schema"]["$ref"].rsplit("/", 1)[1]
    return set(schema["components"]["schemas"][name].get("properties", {}))


def section(page: str, element_id: str) -> str:
    """The markup of the browsable API's form tab `element_id`, up to the next tab."""
    start = page.index(f'id="{element_id}"')
    ends = [page.find(marker, start + 1) for marker in ('class="tab-pane"', "</form>")]
    return page[start : max(ends)]


def html_form_fields(page: str) -> set[str]:
    names = set(re.findall(r'name="([^"]+)"', section(page, "post-object-form")))
    return names - {"csrfmiddlewaretoken"}


def raw_form_fields(page: str) -> set[str]:
    """The keys of the example body in the PUT/PATCH tab's raw data form."""
    form = section(page, "put-generic-content-form")
    content = re.search(r"<textarea[^>]*>(.*?)</textarea>", form, re.S).group(1)
    return set(json.loads(html.unescape(content) or "{}"))


def test_every_write_form_offers_what_the_operation_accepts(schema, world):
    """The browsable API's form for each write is built from the serializer its action
    validates with: the same fields the schema documents, and none for a toggle."""
    client = Client()
    client.force_login(world["alice"])
    offered, documented = {}, {}
    for template, operations in schema["paths"].items():
        for method in ("post", "patch"):
            if method not in operations:
                continue
            page = client.get(concrete(template, world), HTTP_ACCEPT=BROWSER_ACCEPT)
            text = page.content.decode()
            key = f"{method.upper()} {template}"
            documented[key] = request_fields(schema, operations[method])
            if method == "post":
                has_form = 'id="post-object-form"' in text
                offered[key] = html_form_fields(text) if has_form else set()
            else:
                offered[key] = raw_form_fields(text)
    assert offered == documented
    assert offered["POST /api/v1/tweets/"] == {
        "text",
        "photos",
        "alt_texts",
        "in_reply_to_id",
        "quote_of_id",
    }


def test_the_tweet_form_takes_several_photos(world):
    client = Client()
    client.force_login(world["alice"])

    page = client.get("/api/v1/tweets/", HTTP_ACCEPT=BROWSER_ACCEPT).content.decode()

    form = section(page, "post-object-form")
    assert 'enctype="multipart/form-data"' in page
    assert re.search(r'<input[^>]*name="photos"[^>]*type="file" multiple', form)
    assert re.search(r'<textarea[^>]*name="text"', form)


def test_posting_the_html_form_creates_a_tweet_with_a_photo(world):
    """As a browser does: the page sets the CSRF cookie, the form posts multipart with it."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["alice"])
    client.get("/api/v1/tweets/", HTTP_ACCEPT=BROWSER_ACCEPT)
    token = client.cookies["csrftoken"].value

    response = client.post(
        "/api/v1/tweets/",
        {"csrfmiddlewaretoken": token, "text": "from the form", "photos": [image_upload()]},
        HTTP_ACCEPT=BROWSER_ACCEPT,
    )

    assert response.status_code == 201
    assert response["Content-Type"].startswith("text/html")
    tweet = world["alice"].tweets.get(text="from the form")
    assert tweet.photos.count() == 1
