"""Edit history (docs/api.md, "Threads, quotes, edits, bookmarks, pins"): every edit keeps
the text it replaced, GET /tweets/{id}/history/ lists the texts newest first, an edit is
possible only within TWEET_EDIT_WINDOW_SECONDS of posting and TWEET_EDIT_LIMIT times
(403 `edit_window_closed`), and hashtags, mentions, search and cached feed items follow
the current text."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from notifications.models import Notification
from tests.conftest import authenticate
from tests.factories import FriendshipFactory, RetweetFactory, TweetFactory, UserFactory
from tests.safety.conftest import block
from tests.shapes import error, iso, tweet_json
from tweets.models import Tweet, TweetEdit

pytestmark = pytest.mark.django_db

POSTED = datetime(2030, 5, 1, 12, 0, 0, 250000, tzinfo=UTC)


def url(tweet, suffix: str = "") -> str:
    return f"/api/v1/tweets/{tweet.pk}/{suffix}"


def edit(client, tweet, text: str):
    return client.patch(url(tweet), {"text": text}, format="json")


@pytest.fixture
def posted(user):
    """A tweet by `user`, posted at POSTED."""
    with time_machine.travel(POSTED, tick=False):
        return TweetFactory(user=user, text="first #one")


def edit_at(user, tweet, text: str, moment: datetime):
    with time_machine.travel(moment, tick=False):
        return edit(authenticate(APIClient(), user), tweet, text)


def test_history_of_an_unedited_tweet_is_its_text_since_it_was_posted(posted, api_client):
    response = api_client.get(url(posted, "history/"))

    assert response.status_code == 200
    assert response.json() == [{"text": "first #one", "edited_at": iso(POSTED)}]


def test_each_edit_keeps_the_previous_text_newest_first(user, posted, api_client):
    second = POSTED + timedelta(minutes=5)
    third = POSTED + timedelta(minutes=20)

    assert edit_at(user, posted, "second", second).status_code == 200
    response = edit_at(user, posted, "third #three", third)

    assert response.status_code == 200
    assert response.json() == tweet_json(
        posted, text="third #three", edited_at=iso(third), hashtags=["three"], edit_count=2
    )
    history = api_client.get(url(posted, "history/"))
    assert history.status_code == 200
    assert history.json() == [
        {"text": "third #three", "edited_at": iso(third)},
        {"text": "second", "edited_at": iso(second)},
        {"text": "first #one", "edited_at": iso(POSTED)},
    ]
    assert api_client.get(url(posted)).json()["edit_count"] == 2


def test_the_same_text_again_is_not_an_edit(user, posted):
    response = edit_at(user, posted, "first #one", POSTED + timedelta(minutes=1))

    assert response.status_code == 200
    assert response.json() == tweet_json(posted, hashtags=["one"])
    assert (response.json()["edited_at"], response.json()["edit_count"]) == (None, 0)
    assert not TweetEdit.objects.exists()


def test_edit_within_the_window_works_and_after_it_is_403(user, posted):
    window = timedelta(seconds=3600)  # TWEET_EDIT_WINDOW_SECONDS' default

    assert edit_at(user, posted, "just in time", POSTED + window).status_code == 200
    late = edit_at(user, posted, "too late", POSTED + window + timedelta(microseconds=1))

    assert late.status_code == 403
    assert late.json() == error(
        "edit_window_closed", "A tweet can be edited for 3600 seconds after it is posted."
    )
    posted.refresh_from_db()
    assert (posted.text, posted.edit_count, TweetEdit.objects.count()) == ("just in time", 1, 1)


def test_the_window_comes_from_settings(user, posted, settings):
    settings.TWEET_EDIT_WINDOW_SECONDS = 60

    late = edit_at(user, posted, "after a minute", POSTED + timedelta(seconds=61))

    assert late.status_code == 403
    assert late.json()["code"] == "edit_window_closed"


def test_at_most_five_edits_then_403(user, posted, api_client):
    for n in range(1, 6):
        response = edit_at(user, posted, f"edit {n}", POSTED + timedelta(minutes=n))
        assert response.status_code == 200
        assert response.json()["edit_count"] == n

    sixth = edit_at(user, posted, "edit 6", POSTED + timedelta(minutes=6))

    assert sixth.status_code == 403
    assert sixth.json() == error("edit_window_closed", "A tweet can be edited at most 5 times.")
    history = api_client.get(url(posted, "history/")).json()
    assert [version["text"] for version in history] == [
        "edit 5",
        "edit 4",
        "edit 3",
        "edit 2",
        "edit 1",
        "first #one",
    ]


def test_the_limit_comes_from_settings(user, posted, settings):
    settings.TWEET_EDIT_LIMIT = 1

    assert edit_at(user, posted, "once", POSTED + timedelta(minutes=1)).status_code == 200
    again = edit_at(user, posted, "twice", POSTED + timedelta(minutes=2))

    assert again.status_code == 403
    assert again.json()["code"] == "edit_window_closed"


def test_a_refused_edit_keeps_no_history(user, auth_client):
    theirs = TweetFactory(text="theirs")
    mine = TweetFactory(user=user, text="mine")

    assert edit(auth_client, theirs, "yours").status_code == 403
    assert edit(auth_client, mine, "").status_code == 400
    assert edit(auth_client, mine, "x" * 281).status_code == 400
    assert not TweetEdit.objects.exists()
    assert [tweet.edit_count for tweet in Tweet.objects.order_by("id")] == [0, 0]


def test_hashtags_mentions_and_search_follow_the_current_text(user, api_client):
    UserFactory(username="bob")
    carol = UserFactory(username="carol")
    tweet = TweetFactory(user=user, text="about #kittens quokka @bob")
    client = authenticate(APIClient(), user)

    response = edit(client, tweet, "about #puppies wombat @carol")

    assert response.status_code == 200
    assert (response.json()["hashtags"], response.json()["mentions"]) == (["puppies"], ["carol"])

    def found(query: str) -> list[int]:
        return [item["id"] for item in api_client.get(f"/api/v1/tweets/?{query}").json()["results"]]

    assert found("hashtag=kittens") == [] and found("hashtag=puppies") == [tweet.pk]
    assert found("q=quokka") == [] and found("q=wombat") == [tweet.pk]
    assert Notification.objects.filter(recipient=carol, verb="mentioned", tweet=tweet).exists()
    # The old text is still in the history, not in the lists.
    assert api_client.get(url(tweet, "history/")).json()[1]["text"] == "about #kittens quokka @bob"


def test_a_cached_feed_item_shows_the_edit_and_its_count(user, make_auth_client):
    reader = UserFactory()
    tweet = TweetFactory(user=user, text="before")
    FriendshipFactory(follower=reader, followee=user)  # brings the tweet into the feed
    reader_client = make_auth_client(reader)
    first = reader_client.get("/api/v1/newsfeed/").json()["results"]
    assert [(item["id"], item["edit_count"]) for item in first] == [(tweet.pk, 0)]

    assert edit(make_auth_client(user), tweet, "after").status_code == 200

    item = reader_client.get("/api/v1/newsfeed/").json()["results"][0]
    assert (item["text"], item["edit_count"]) == ("after", 1)
    detail = reader_client.get(url(tweet)).json()
    assert item == {
        name: value for name, value in detail.items() if name not in ("comments", "comments_next")
    }


def test_history_of_a_retweet_is_its_own_empty_text(api_client):
    retweet = RetweetFactory()

    response = api_client.get(url(retweet, "history/"))

    assert response.status_code == 200
    assert response.json() == [{"text": "", "edited_at": iso(retweet.created_at)}]


def test_history_of_a_missing_tweet_is_404(api_client):
    response = api_client.get("/api/v1/tweets/999999/history/")

    assert response.status_code == 404
    assert response.json() == error("not_found", "No tweet with that id.")


def test_history_of_a_protected_accounts_tweet_is_404_for_others(alice, bob, make_auth_client):
    tweet = TweetFactory(user=alice)
    follower = UserFactory()
    FriendshipFactory(follower=follower, followee=alice)
    alice.is_protected = True
    alice.save(update_fields=["is_protected"])

    assert make_auth_client(bob).get(url(tweet, "history/")).status_code == 404
    assert APIClient().get(url(tweet, "history/")).status_code == 404
    assert make_auth_client(follower).get(url(tweet, "history/")).status_code == 200
    assert make_auth_client(alice).get(url(tweet, "history/")).status_code == 200


def test_history_between_blocked_users_is_403(alice, bob, alice_client, bob_client):
    tweet = TweetFactory(user=alice)
    assert block(alice_client, bob).status_code == 200

    response = bob_client.get(url(tweet, "history/"))

    assert response.status_code == 403
    assert response.json()["code"] == "blocked"


@pytest.mark.parametrize("edits", [0, 5])
def test_history_costs_two_queries_however_long(user, posted, edits, django_assert_num_queries):
    for n in range(edits):
        edit_at(user, posted, f"edit {n}", POSTED + timedelta(minutes=n + 1))
    client = APIClient()

    with django_assert_num_queries(2):  # the tweet with its visibility, then its edits
        response = client.get(url(posted, "history/"))

    assert len(response.json()) == edits + 1
