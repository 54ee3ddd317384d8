"""Bookmarks (docs/api.md, "Threads, quotes, edits, bookmarks, pins"): POST and DELETE
/tweets/{id}/bookmark/ toggle it (idempotent, 200 Tweet with `is_bookmarked`, 404 for a
tweet the caller cannot see), GET /bookmarks/ lists the caller's, most recently bookmarked
first, privately; every Tweet representation carries the viewer's `is_bookmarked`."""

import pytest
from rest_framework.test import APIClient

from notifications.models import Notification
from tests.conftest import authenticate
from tests.factories import FriendshipFactory, RetweetFactory, TweetFactory, UserFactory
from tests.safety.conftest import block
from tests.shapes import error, page_link, tweet_json
from tweets.models import Bookmark

pytestmark = pytest.mark.django_db

BOOKMARKS = "/api/v1/bookmarks/"


def bookmark(client, tweet, method: str = "post"):
    return getattr(client, method)(f"/api/v1/tweets/{tweet.pk}/bookmark/")


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["results"]]


def test_bookmark_answers_the_tweet_with_is_bookmarked(user, auth_client):
    tweet = TweetFactory(text="save me")

    response = bookmark(auth_client, tweet)

    assert response.status_code == 200
    assert response.json() == tweet_json(tweet, is_bookmarked=True)
    assert Bookmark.objects.filter(user=user, tweet=tweet).count() == 1


def test_bookmark_and_unbookmark_are_idempotent(user, auth_client):
    tweet = TweetFactory()

    assert bookmark(auth_client, tweet).json()["is_bookmarked"] is True
    assert bookmark(auth_client, tweet).json()["is_bookmarked"] is True
    assert Bookmark.objects.filter(user=user).count() == 1

    response = bookmark(auth_client, tweet, "delete")
    assert (response.status_code, response.json()) == (200, tweet_json(tweet))
    assert bookmark(auth_client, tweet, "delete").json()["is_bookmarked"] is False
    assert not Bookmark.objects.exists()


def test_bookmarks_are_private_no_counter_no_notification(user, auth_client, make_auth_client):
    author = UserFactory()
    tweet = TweetFactory(user=author)

    bookmark(auth_client, tweet)

    assert not Notification.objects.filter(recipient=author).exists()
    assert (
        make_auth_client(author).get(f"/api/v1/tweets/{tweet.pk}/").json()["is_bookmarked"] is False
    )
    assert APIClient().get(f"/api/v1/tweets/{tweet.pk}/").json()["is_bookmarked"] is False
    assert make_auth_client(author).get(BOOKMARKS).json()["results"] == []


def test_bookmarking_a_retweet_bookmarks_its_original(user, auth_client):
    original = TweetFactory()
    retweet = RetweetFactory(retweet_of=original)

    response = bookmark(auth_client, retweet)

    assert response.json() == tweet_json(original, is_bookmarked=True)
    assert list(Bookmark.objects.values_list("tweet_id", flat=True)) == [original.pk]
    nested = auth_client.get(f"/api/v1/tweets/{retweet.pk}/").json()
    assert (nested["is_bookmarked"], nested["retweet_of"]["is_bookmarked"]) == (False, True)
    assert bookmark(auth_client, retweet, "delete").json()["is_bookmarked"] is False


def test_bookmark_of_a_missing_tweet_is_404(auth_client):
    response = auth_client.post("/api/v1/tweets/999999/bookmark/")

    assert response.status_code == 404
    assert response.json() == error("not_found", "No tweet with that id.")


def test_bookmark_of_a_protected_accounts_tweet_is_404_for_others(alice, bob, bob_client):
    tweet = TweetFactory(user=alice)
    alice.is_protected = True
    alice.save(update_fields=["is_protected"])

    response = bookmark(bob_client, tweet)

    assert response.status_code == 404
    assert response.json() == error("not_found", "No tweet with that id.")
    assert not Bookmark.objects.exists()


def test_bookmark_between_blocked_users_is_403(alice, bob, alice_client, bob_client):
    tweet = TweetFactory(user=alice)
    assert block(alice_client, bob).status_code == 200

    response = bookmark(bob_client, tweet)

    assert response.status_code == 403
    assert response.json()["code"] == "blocked"


def test_bookmark_needs_a_signed_in_user(api_client):
    tweet = TweetFactory()

    for method in ("post", "delete"):
        response = bookmark(api_client, tweet, method)
        assert response.status_code == 401
        assert response.json() == error("not_authenticated")
    assert api_client.get(BOOKMARKS).status_code == 401


def test_bookmarks_list_most_recently_bookmarked_first(user, auth_client):
    old, new = TweetFactory(text="older tweet"), TweetFactory(text="newer tweet")
    bookmark(auth_client, new)
    bookmark(auth_client, old)

    response = auth_client.get(BOOKMARKS)

    assert response.status_code == 200
    assert response.json() == {
        "results": [tweet_json(old, is_bookmarked=True), tweet_json(new, is_bookmarked=True)],
        "next": None,
        "previous": page_link(BOOKMARKS, Bookmark.objects.get(tweet=old).pk, reverse=True),
    }


def test_bookmarks_list_pages_and_shows_only_mine(user, auth_client, make_auth_client):
    tweets = TweetFactory.create_batch(3)
    for tweet in tweets:
        bookmark(auth_client, tweet)
    bookmark(make_auth_client(), TweetFactory())  # someone else's bookmark

    first = auth_client.get(BOOKMARKS, {"page_size": 2}).json()
    second = auth_client.get(first["next"]).json()

    assert [t["id"] for t in first["results"] + second["results"]] == [
        t.pk for t in reversed(tweets)
    ]
    assert second["next"] is None


def test_bookmarks_list_hides_what_the_user_can_no_longer_see(
    user, alice, bob, auth_client, make_auth_client
):
    protected = TweetFactory(user=alice)
    blocked = TweetFactory(user=bob)
    kept = TweetFactory()
    deleted = TweetFactory(user=user)
    for tweet in (protected, blocked, kept, deleted):
        bookmark(auth_client, tweet)
    alice.is_protected = True
    alice.save(update_fields=["is_protected"])
    assert block(make_auth_client(bob), user).status_code == 200
    assert auth_client.delete(f"/api/v1/tweets/{deleted.pk}/").status_code == 204

    assert ids(auth_client.get(BOOKMARKS)) == [kept.pk]
    # Following the protected account brings its bookmarked tweet back.
    alice.is_protected = False
    alice.save(update_fields=["is_protected"])
    FriendshipFactory(follower=user, followee=alice)
    alice.is_protected = True
    alice.save(update_fields=["is_protected"])
    assert ids(auth_client.get(BOOKMARKS)) == [kept.pk, protected.pk]
    # Unbookmarking works whatever happened since: the block stays, the bookmark goes.
    assert bookmark(auth_client, blocked, "delete").status_code == 403
    assert not Bookmark.objects.filter(tweet=blocked).exists()


def test_is_bookmarked_on_lists_and_the_feed(user, auth_client):
    author = UserFactory(username="author")
    saved, other = (
        TweetFactory(user=author, text="#tag saved"),
        TweetFactory(user=author, text="#tag"),
    )
    retweet = RetweetFactory(retweet_of=saved)
    FriendshipFactory(follower=user, followee=author)
    FriendshipFactory(follower=user, followee=retweet.user)
    bookmark(auth_client, saved)

    def flags(path: str) -> dict:
        items = auth_client.get(path).json()["results"]
        shown = {}
        for item in items:
            shown[item["id"]] = item["is_bookmarked"]
            if item["retweet_of"]:
                shown[("in", item["id"])] = item["retweet_of"]["is_bookmarked"]
        return shown

    expected = {saved.pk: True, other.pk: False}
    assert flags("/api/v1/tweets/?hashtag=tag") == expected
    assert flags("/api/v1/users/author/tweets/") == expected
    feed = flags("/api/v1/newsfeed/")
    assert feed == {**expected, retweet.pk: False, ("in", retweet.pk): True}
    assert flags("/api/v1/newsfeed/") == feed  # cached renderings keep the flag fresh
    bookmark(auth_client, saved, "delete")
    assert flags("/api/v1/newsfeed/")[saved.pk] is False


@pytest.mark.parametrize("count", [1, 25])
def test_bookmarks_list_costs_the_same_queries_for_one_or_a_page(
    user, django_assert_num_queries, count
):
    """The JWT's user, the page (tweets and authors joined, visibility and blocks inside),
    photos, hashtags, mentions, the viewer's flags."""
    client = authenticate(APIClient(), user)
    for n in range(count):
        tweet = TweetFactory(text=f"#tag{n} @{user.username}")
        bookmark(client, tweet)

    with django_assert_num_queries(6):
        response = client.get(BOOKMARKS)

    assert len(response.json()["results"]) == min(count, 20)
    assert all(item["is_bookmarked"] for item in response.json()["results"])
