"""Quotes and alt text (docs/api.md "Threads, quotes, edits, bookmarks, pins";
docs/threads.md): a quote nests the quoted tweet (its own `quote_of` and `retweet_of`
null) wherever tweets are shown, loses it when the quoted tweet is deleted or hidden from
the viewer, and notifies the quoted author; every photo carries its alt text."""

import pytest
from rest_framework.test import APIClient

from friendships import services as friendship_services
from notifications.models import Notification
from tests.conftest import authenticate
from tests.factories import FriendshipFactory, RetweetFactory, TweetFactory, UserFactory
from tests.newsfeeds.conftest import FEED
from tests.safety.conftest import block
from tests.shapes import as_listed, detail_json, error, tweet_json
from tests.tweets.helpers import image_upload
from tweets import services
from tweets.models import Tweet, TweetPhoto

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): ...` runs the block's on-commit callbacks (fan-out, cache)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def quote(client, tweet, text="look at this", **body):
    return client.post(
        "/api/v1/tweets/", {"text": text, "quote_of_id": tweet.pk, **body}, format="json"
    )


def protect(user):
    user.is_protected = True
    user.save(update_fields=["is_protected"])


def accepted_follow(follower, followee):
    """`follower` follows the protected `followee`: a request, accepted."""
    friendship_services.follow_user(follower=follower, username=followee.username)
    friendship_services.accept_follow_request(target=followee, username=follower.username)


# --- posting a quote ---------------------------------------------------------------------


def test_quote_answers_201_with_the_quoted_tweet_nested(alice, bob, bob_client):
    quoted = TweetFactory(user=alice, text="original #words")

    response = quote(bob_client, quoted)

    assert response.status_code == 201
    tweet = Tweet.objects.get(pk=response.json()["id"])
    assert response.json() == tweet_json(tweet, quote_of=tweet_json(quoted, hashtags=["words"]))
    assert response.json()["quote_of"]["quote_of"] is None
    assert response.json()["quote_of"]["retweet_of"] is None


def test_a_quote_of_a_quote_nests_one_level(alice, bob, bob_client):
    first = TweetFactory(user=alice)
    second = services.create_tweet(author=alice, text="second", quote_of_id=first.pk)

    body = quote(bob_client, second).json()

    assert body["quote_of"] == tweet_json(second)
    assert body["quote_of"]["quote_of"] is None


def test_a_quote_of_a_retweet_quotes_its_original(alice, bob, bob_client):
    original = TweetFactory(user=alice)
    retweet = RetweetFactory(user=bob, retweet_of=original)

    assert quote(bob_client, retweet).json()["quote_of"]["id"] == original.pk


def test_a_retweet_of_a_quote_shows_the_quote_inside_its_original(alice, bob, bob_client):
    quoted = TweetFactory(user=alice)
    quoting = services.create_tweet(author=alice, text="quoting", quote_of_id=quoted.pk)
    retweet = RetweetFactory(user=bob, retweet_of=quoting)

    body = bob_client.get(f"/api/v1/tweets/{retweet.pk}/").json()

    assert body["quote_of"] is None
    assert body["retweet_of"] == tweet_json(
        quoting, quote_of=tweet_json(quoted), has_retweeted=True
    )


def test_quote_of_a_missing_tweet_is_404(bob_client):
    response = bob_client.post(
        "/api/v1/tweets/", {"text": "hi", "quote_of_id": 999999}, format="json"
    )

    assert response.status_code == 404
    assert response.json() == error("not_found")


def test_quote_of_a_protected_tweet_is_404_unseen_and_403_protected_seen(
    alice, bob, alice_client, bob_client
):
    protect(alice)
    secret = TweetFactory(user=alice)

    assert quote(bob_client, secret).json() == error("not_found")
    accepted_follow(bob, alice)
    response = quote(bob_client, secret)
    assert response.status_code == 403
    assert response.json() == error("protected")
    assert quote(alice_client, secret).json() == error("protected")
    assert Tweet.objects.filter(quote_of=secret).count() == 0


@pytest.mark.parametrize("who_blocks", ["author", "quoter"])
def test_quote_between_blocked_users_is_403_blocked(
    alice, bob, alice_client, bob_client, who_blocks
):
    tweet = TweetFactory(user=alice)
    block(
        alice_client if who_blocks == "author" else bob_client,
        bob if who_blocks == "author" else alice,
    )

    response = quote(bob_client, tweet)

    assert response.status_code == 403
    assert response.json() == error("blocked")


def test_a_reply_may_quote(alice, bob, bob_client):
    root, other = TweetFactory(user=alice), TweetFactory(user=alice)

    body = quote(bob_client, other, in_reply_to_id=root.pk).json()

    assert (body["in_reply_to_id"], body["quote_of"]["id"]) == (root.pk, other.pk)
    # One notification for alice: replied (the reply is what concerns her).
    assert list(Notification.objects.values_list("verb", flat=True)) == ["replied"]


# --- deletion and visibility -------------------------------------------------------------


def test_deleting_the_quoted_tweet_leaves_quote_of_null(alice, bob, alice_client, bob_client):
    quoted = TweetFactory(user=alice)
    quoting = Tweet.objects.get(pk=quote(bob_client, quoted).json()["id"])

    assert alice_client.delete(f"/api/v1/tweets/{quoted.pk}/").status_code == 204

    quoting.refresh_from_db()
    assert quoting.quote_of_id is None
    assert bob_client.get(f"/api/v1/tweets/{quoting.pk}/").json() == detail_json(quoting)


def test_the_quoted_tweet_is_null_for_a_viewer_who_may_not_see_it(alice, bob, bob_client):
    quoted = TweetFactory(user=alice)
    quoting = services.create_tweet(author=bob, text="see", quote_of_id=quoted.pk)
    viewer = UserFactory()
    viewer_client = authenticate(APIClient(), viewer)
    path = f"/api/v1/tweets/{quoting.pk}/"

    assert viewer_client.get(path).json()["quote_of"]["id"] == quoted.pk
    protect(alice)  # after the quote: its text stays with her followers
    assert viewer_client.get(path).json()["quote_of"] is None
    assert APIClient().get(path).json()["quote_of"] is None
    accepted_follow(viewer, alice)
    assert viewer_client.get(path).json()["quote_of"]["id"] == quoted.pk
    block(viewer_client, alice)
    assert viewer_client.get(path).json()["quote_of"] is None
    listed = viewer_client.get(f"/api/v1/users/{bob.username}/tweets/").json()["results"]
    assert [(t["id"], t["quote_of"]) for t in listed] == [(quoting.pk, None)]


def test_feed_items_nest_the_quote_and_hide_it_as_the_detail_does(committed, make_auth_client):
    reader, author, quoted_author, other = UserFactory.create_batch(4)
    FriendshipFactory(follower=reader, followee=author)
    quoted = TweetFactory(user=quoted_author, photos=[image_upload("PNG")])
    with committed():
        quoting = services.create_tweet(author=author, text="q", quote_of_id=quoted.pk)
        # The author retweets someone else's quote of the same tweet.
        others_quote = services.create_tweet(author=other, text="q2", quote_of_id=quoted.pk)
        RetweetFactory(user=author, retweet_of=others_quote)
    client = make_auth_client(reader)

    items = client.get(FEED).json()["results"]
    again = client.get(FEED).json()["results"]  # from the tweet cache, with Redis

    expected = [as_listed(client.get(f"/api/v1/tweets/{item['id']}/").json()) for item in items]
    assert items == again == expected
    assert items[1]["id"] == quoting.pk and items[1]["quote_of"]["id"] == quoted.pk
    assert items[0]["retweet_of"]["quote_of"]["id"] == quoted.pk
    with committed():
        block(client, quoted_author)
    items = client.get(FEED).json()["results"]
    assert [item["quote_of"] for item in items] == [None, None]
    assert items[0]["retweet_of"]["quote_of"] is None
    with committed():
        services.delete_tweet(actor=quoted_author, tweet_id=quoted.pk)
    assert client.get(FEED).json()["results"][0]["quote_of"] is None


# --- notifications -----------------------------------------------------------------------


def test_the_quoted_author_is_notified_once(alice, bob, alice_client, bob_client):
    quoted = TweetFactory(user=alice)

    body = quote(bob_client, quoted, text=f"@{alice.username} said").json()

    notifications = alice_client.get("/api/v1/notifications/").json()["results"]
    assert [(n["verb"], n["tweet"]["id"]) for n in notifications] == [("quoted", body["id"])]


def test_quoting_oneself_notifies_nobody(alice, alice_client):
    quote(alice_client, TweetFactory(user=alice))

    assert not Notification.objects.exists()


def test_quoted_is_silenced_by_a_mute_and_by_settings(alice, bob, alice_client, bob_client):
    quoted = TweetFactory(user=alice)
    alice_client.patch("/api/v1/me/notification-settings/", {"quoted": False}, format="json")
    quote(bob_client, quoted)
    alice_client.patch("/api/v1/me/notification-settings/", {"quoted": True}, format="json")
    alice_client.post(f"/api/v1/users/{bob.username}/mute/")
    quote(bob_client, quoted)

    assert not Notification.objects.filter(verb="quoted").exists()


# --- alt text ----------------------------------------------------------------------------


def post_photos(client, count: int, **body):
    photos = [image_upload("PNG", size=(8 + n, 8)) for n in range(count)]
    return client.post("/api/v1/tweets/", {"photos": photos, **body}, format="multipart")


def test_alt_texts_describe_photos_in_order(auth_client):
    response = post_photos(auth_client, 3, alt_texts=["a cat", "two dogs"])

    assert response.status_code == 201
    assert [p["alt_text"] for p in response.json()["photos"]] == ["a cat", "two dogs", ""]
    stored = TweetPhoto.objects.order_by("position").values_list("alt_text", flat=True)
    assert list(stored) == ["a cat", "two dogs", ""]


def test_alt_texts_in_json_with_no_photos_are_400(auth_client):
    response = auth_client.post(
        "/api/v1/tweets/", {"text": "hi", "alt_texts": ["nothing"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == error(
        "validation_error",
        "Invalid input.",
        {"alt_texts": ["There are more alt texts than photos."]},
    )


def test_more_alt_texts_than_photos_is_400(auth_client):
    response = post_photos(auth_client, 1, alt_texts=["one", "two"])

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["alt_texts"]
    assert not Tweet.objects.exists()


def test_an_alt_text_over_1000_characters_is_400(auth_client):
    assert post_photos(auth_client, 1, alt_texts=["x" * 1000]).status_code == 201

    response = post_photos(auth_client, 1, alt_texts=["x" * 1001])

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["alt_texts"]


def test_alt_text_shows_in_lists_nested_quotes_and_the_feed(committed, make_auth_client):
    reader, author = UserFactory.create_batch(2)
    FriendshipFactory(follower=reader, followee=author)
    author_client = make_auth_client(author)
    with committed():
        photo_tweet = post_photos(author_client, 1, text="pic", alt_texts=["a sunset"]).json()
        quote(author_client, Tweet.objects.get(pk=photo_tweet["id"]))
    client = make_auth_client(reader)

    feed = client.get(FEED).json()["results"]
    listed = client.get(f"/api/v1/users/{author.username}/tweets/").json()["results"]

    for items in (feed, listed):
        assert items[0]["quote_of"]["photos"][0]["alt_text"] == "a sunset"
        assert items[1]["photos"][0]["alt_text"] == "a sunset"


def test_blank_alt_texts_at_the_end_count_as_none(auth_client):
    """As the browsable API's form sends them: one input per possible photo."""
    response = post_photos(auth_client, 1, alt_texts=["a cat", "", ""])

    assert response.status_code == 201
    assert [p["alt_text"] for p in response.json()["photos"]] == ["a cat"]
