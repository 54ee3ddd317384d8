"""Bookmarks, pins and an edit's history through the Mastodon layer: Chirp's bookmarks
(tweets.services.bookmark_tweet, selectors.list_bookmarks), its one pin (pin_tweet,
get_pinned_tweet) and its tweet versions (list_tweet_versions), as Mastodon's entities."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.factories import RetweetFactory, TweetFactory, UserFactory
from tests.mastodon_api import schemas
from tests.mastodon_api.helpers import ROOT
from tweets import services as tweet_services

pytestmark = pytest.mark.django_db

STATUSES = f"{ROOT}/api/v1/statuses"
BOOKMARKS = f"{ROOT}/api/v1/bookmarks"


# --- bookmarks ---------------------------------------------------------------------------


def test_bookmark_and_unbookmark_answer_the_status(erin_client):
    tweet = TweetFactory(text="for later")
    bookmarked = erin_client.post(f"{STATUSES}/{tweet.pk}/bookmark")
    assert bookmarked.status_code == 200, bookmarked.content
    schemas.check(bookmarked.json(), schemas.STATUS)
    assert bookmarked.json()["id"] == str(tweet.pk)
    assert bookmarked.json()["bookmarked"] is True
    assert erin_client.post(f"{STATUSES}/{tweet.pk}/bookmark").json()["bookmarked"] is True
    assert [s["id"] for s in erin_client.get(BOOKMARKS).json()] == [str(tweet.pk)]
    assert erin_client.get(f"{STATUSES}/{tweet.pk}").json()["bookmarked"] is True

    unbookmarked = erin_client.post(f"{STATUSES}/{tweet.pk}/unbookmark")
    assert unbookmarked.status_code == 200
    assert unbookmarked.json()["bookmarked"] is False
    assert erin_client.get(BOOKMARKS).json() == []


def test_bookmarking_a_reblog_bookmarks_the_original(erin_client):
    reblog = RetweetFactory()
    response = erin_client.post(f"{STATUSES}/{reblog.pk}/bookmark")
    assert response.json()["id"] == str(reblog.retweet_of_id)
    assert [s["id"] for s in erin_client.get(BOOKMARKS).json()] == [str(reblog.retweet_of_id)]


def test_a_status_the_caller_may_not_see_cannot_be_bookmarked(erin_client):
    hidden = TweetFactory(user=UserFactory(is_protected=True))
    response = erin_client.post(f"{STATUSES}/{hidden.pk}/bookmark")
    assert response.status_code == 404
    assert erin_client.get(BOOKMARKS).json() == []


def test_bookmarks_page_by_bookmark_with_link_headers(erin_client):
    tweets = [TweetFactory(text=f"saved {index}") for index in range(3)]
    for tweet in reversed(tweets):  # bookmarked newest tweet first
        erin_client.post(f"{STATUSES}/{tweet.pk}/bookmark")
    first = erin_client.get(BOOKMARKS, {"limit": 2})
    # Most recently bookmarked first, whatever the statuses' own ids.
    assert [s["id"] for s in first.json()] == [str(tweets[0].pk), str(tweets[1].pk)]
    assert 'rel="next"' in first["Link"] and 'rel="prev"' in first["Link"]
    next_url = first["Link"].split(";")[0].strip("<>")
    rest = erin_client.get(next_url).json()
    assert [s["id"] for s in rest] == [str(tweets[2].pk)]


def test_bookmarks_need_a_signed_in_user(api_client):
    assert api_client.get(BOOKMARKS).status_code == 401


# The JWT's user, the page of bookmarks (tweets and authors joined), photos, hashtags,
# mentions, the viewer's flags (tests/tweets/test_bookmarks_api.py), and the page's accounts.
BOOKMARK_PAGE_QUERIES = 7


@pytest.mark.parametrize("count", [1, 25])
def test_bookmarks_list_costs_the_same_queries_for_one_or_a_page(
    erin, erin_client, django_assert_num_queries, count
):
    for index in range(count):
        tweet = TweetFactory(text=f"#tag{index} @{erin.username}")
        tweet_services.bookmark_tweet(user=erin, tweet_id=tweet.pk)
    with django_assert_num_queries(BOOKMARK_PAGE_QUERIES):
        response = erin_client.get(BOOKMARKS, {"limit": 20})
    assert len(response.json()) == min(count, 20)
    assert all(status["bookmarked"] for status in response.json())


def test_the_home_timeline_shows_bookmarks(erin, erin_client, committed):
    author = UserFactory()
    with committed():
        erin_client.post(f"{ROOT}/api/v1/accounts/{author.pk}/follow")
    with committed():
        saved, other = TweetFactory(user=author), TweetFactory(user=author)
    tweet_services.bookmark_tweet(user=erin, tweet_id=saved.pk)
    flags = {
        s["id"]: s["bookmarked"] for s in erin_client.get(f"{ROOT}/api/v1/timelines/home").json()
    }
    assert flags == {str(saved.pk): True, str(other.pk): False}


# --- pins --------------------------------------------------------------------------------


def test_pin_and_unpin_an_own_status(erin, erin_client, make_auth_client):
    older, tweet = TweetFactory(user=erin), TweetFactory(user=erin)
    pinned = erin_client.post(f"{STATUSES}/{tweet.pk}/pin")
    assert pinned.status_code == 200, pinned.content
    assert pinned.json()["pinned"] is True
    statuses = f"{ROOT}/api/v1/accounts/{erin.pk}/statuses"
    assert [s["id"] for s in erin_client.get(statuses, {"pinned": "true"}).json()] == [
        str(tweet.pk)
    ]
    flags = {s["id"]: s["pinned"] for s in erin_client.get(statuses).json()}
    assert flags == {str(tweet.pk): True, str(older.pk): False}

    # Others see the pinned status, without a `pinned` of theirs (it is about their own).
    other = make_auth_client()
    shown = other.get(statuses, {"pinned": "true"}).json()
    assert [s["id"] for s in shown] == [str(tweet.pk)]
    assert shown[0]["pinned"] is False

    # One pin: pinning another replaces it.
    assert erin_client.post(f"{STATUSES}/{older.pk}/pin").json()["pinned"] is True
    assert erin_client.get(f"{STATUSES}/{tweet.pk}").json()["pinned"] is False

    unpinned = erin_client.post(f"{STATUSES}/{older.pk}/unpin")
    assert unpinned.status_code == 200
    assert unpinned.json()["pinned"] is False
    assert erin_client.get(statuses, {"pinned": "true"}).json() == []


def test_pinned_statuses_page_ends(erin, erin_client):
    tweet = TweetFactory(user=erin)
    tweet_services.pin_tweet(user=erin, tweet_id=tweet.pk)
    statuses = f"{ROOT}/api/v1/accounts/{erin.pk}/statuses"
    response = erin_client.get(statuses, {"pinned": "true"})
    assert "Link" not in response
    assert erin_client.get(statuses, {"pinned": "true", "max_id": tweet.pk}).json() == []
    assert erin_client.get(statuses, {"pinned": "true", "min_id": tweet.pk}).json() == []


def test_someone_elses_status_or_a_reblog_cannot_be_pinned(erin, erin_client):
    theirs = TweetFactory()
    response = erin_client.post(f"{STATUSES}/{theirs.pk}/pin")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    reblog = RetweetFactory(user=erin)
    assert erin_client.post(f"{STATUSES}/{reblog.pk}/pin").status_code == 403
    statuses = f"{ROOT}/api/v1/accounts/{erin.pk}/statuses"
    assert erin_client.get(statuses, {"pinned": "true"}).json() == []


def test_a_protected_accounts_pin_stays_hidden(make_auth_client):
    owner = UserFactory(is_protected=True)
    tweet = TweetFactory(user=owner)
    tweet_services.pin_tweet(user=owner, tweet_id=tweet.pk)
    statuses = f"{ROOT}/api/v1/accounts/{owner.pk}/statuses"
    assert make_auth_client().get(statuses, {"pinned": "true"}).json() == []
    assert make_auth_client(owner).get(statuses, {"pinned": "true"}).json()[0]["pinned"] is True


# --- an edit's history -------------------------------------------------------------------


def test_history_lists_each_text_oldest_first(erin, erin_client, make_auth_client):
    UserFactory(username="frank")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        tweet = TweetFactory(user=erin, text="first #draft")
    url = f"{STATUSES}/{tweet.pk}"
    with time_machine.travel(start + timedelta(minutes=1)):
        erin_client.put(url, {"status": "second, with @frank"})
    with time_machine.travel(start + timedelta(minutes=2)):
        edited = erin_client.put(url, {"status": "third & last"}).json()

    history = make_auth_client().get(f"{url}/history")
    assert history.status_code == 200, history.content
    edits = history.json()
    for edit in edits:
        schemas.check(edit, schemas.STATUS_EDIT)
    assert [edit["content"] for edit in edits] == [
        '<p>first <a href="http://testserver/api/v1/tweets/?hashtag=draft" '
        'class="mention hashtag" rel="tag">#<span>draft</span></a></p>',
        '<p>second, with <span class="h-card"><a href="http://testserver/api/v1/users/frank/" '
        'class="u-url mention">@<span>frank</span></a></span></p>',
        "<p>third &amp; last</p>",
    ]
    assert edits[0]["created_at"] == edited["created_at"]
    assert edits[-1]["created_at"] == edited["edited_at"]
    assert [edit["created_at"] for edit in edits] == sorted(edit["created_at"] for edit in edits)
    assert {edit["account"]["username"] for edit in edits} == {"erin"}


def test_an_unedited_status_has_one_version_and_no_edited_at(erin_client):
    tweet = TweetFactory(text="as posted")
    status = erin_client.get(f"{STATUSES}/{tweet.pk}").json()
    assert status["edited_at"] is None
    edits = erin_client.get(f"{STATUSES}/{tweet.pk}/history").json()
    assert [edit["content"] for edit in edits] == ["<p>as posted</p>"]
    assert edits[0]["created_at"] == status["created_at"]


def test_history_of_a_hidden_status_is_404(erin_client):
    hidden = TweetFactory(user=UserFactory(is_protected=True))
    response = erin_client.get(f"{STATUSES}/{hidden.pk}/history")
    assert response.status_code == 404
    assert response.json()["error"]


@pytest.mark.parametrize("edits", [0, 3])
def test_history_costs_the_same_queries_however_many_edits(
    erin, erin_client, django_assert_num_queries, edits
):
    """The JWT's user; the status (its access check, photos, hashtags, mentions, the
    viewer's flags); its versions (access check, edits); its account; the accounts the
    versions mention."""
    UserFactory(username="frank")
    tweet = TweetFactory(user=erin, text="hello @frank")
    for index in range(edits):
        tweet_services.edit_tweet(editor=erin, tweet_id=tweet.pk, text=f"take {index} @frank")
    with django_assert_num_queries(10):
        response = erin_client.get(f"{STATUSES}/{tweet.pk}/history")
    assert len(response.json()) == edits + 1
