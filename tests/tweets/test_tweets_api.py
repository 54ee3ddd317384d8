from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.models import User
from tests.conftest import authenticate
from tests.factories import TweetFactory, UserFactory
from tests.shapes import detail_json, iso, summary_json, tweet_json
from tweets import services
from tweets.models import Tweet

pytestmark = pytest.mark.django_db

TOO_LONG = {
    "code": "validation_error",
    "detail": "Invalid input.",
    "fields": {"text": ["Ensure this field has no more than 280 characters."]},
}
ONLY_SPACES = {
    "code": "validation_error",
    "detail": "Invalid input.",
    "fields": {"text": ["Write something: text cannot be only spaces."]},
}


def post_tweet(client, text):
    return client.post("/api/v1/tweets/", {"text": text}, format="json")


# --- create ------------------------------------------------------------------------------


def test_create_text_tweet_answers_201_with_the_whole_tweet(user, auth_client):
    bob = UserFactory(username="bob")

    response = post_tweet(auth_client, "Hello #Django @bob")

    assert response.status_code == 201
    tweet = Tweet.objects.get()
    assert response.json() == {
        "id": tweet.pk,
        "user": {
            "id": user.pk,
            "username": user.username,
            "display_name": user.display_name,
            "avatar_url": None,
        },
        "text": "Hello #Django @bob",
        "created_at": iso(tweet.created_at),
        "edited_at": None,
        "photos": [],
        "hashtags": ["django"],
        "mentions": ["bob"],
        "likes_count": 0,
        "retweets_count": 0,
        "comments_count": 0,
        "has_liked": False,
        "has_retweeted": False,
        "is_bookmarked": False,
        "retweet_of": None,
        "in_reply_to_id": None,
        "conversation_id": tweet.pk,
        "replies_count": 0,
        "quote_of": None,
        "edit_count": 0,
    }
    assert tweet.user == user and tweet.mentions.get() == bob


def test_create_moves_the_authors_tweets_count(user, auth_client):
    post_tweet(auth_client, "one")
    post_tweet(auth_client, "two")

    user.refresh_from_db()
    assert user.tweets_count == 2


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"text": ""}, {"text": ["A tweet needs text or photos."]}),
        ({}, {"text": ["A tweet needs text or photos."]}),
        ({"text": None}, {"text": ["This field may not be null."]}),
    ],
)
def test_create_without_text_or_photos_is_400(auth_client, body, fields):
    response = auth_client.post("/api/v1/tweets/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": "Invalid input.",
        "fields": fields,
    }
    assert not Tweet.objects.exists()


@pytest.mark.parametrize("text", [" ", "   \n\t  ", "\u3000\u00a0"])
def test_create_with_only_whitespace_is_400(auth_client, text):
    response = post_tweet(auth_client, text)

    assert response.status_code == 400
    assert response.json() == ONLY_SPACES
    assert not Tweet.objects.exists()


def test_280_characters_is_accepted_and_281_is_400(auth_client):
    ok = post_tweet(auth_client, "a" * 280)
    too_long = post_tweet(auth_client, "a" * 281)

    assert ok.status_code == 201
    assert ok.json()["text"] == "a" * 280
    assert too_long.status_code == 400
    assert too_long.json() == TOO_LONG
    assert Tweet.objects.count() == 1


def test_length_counts_characters_not_bytes(auth_client):
    # 280 emoji are 1120 bytes of UTF-8 but 280 characters.
    emoji = post_tweet(auth_client, "😀" * 280)
    accented = post_tweet(auth_client, "é" * 280)

    assert emoji.status_code == 201
    assert emoji.json()["text"] == "😀" * 280
    assert accented.status_code == 201
    assert post_tweet(auth_client, "😀" * 281).json() == TOO_LONG


def test_combining_characters_count_once_after_nfc(auth_client):
    # "e" + COMBINING ACUTE ACCENT is two code points typed, one character (NFC "é") stored.
    decomposed = "e\u0301" * 280

    response = post_tweet(auth_client, decomposed)

    assert response.status_code == 201
    assert response.json()["text"] == "é" * 280
    assert post_tweet(auth_client, "e\u0301" * 281).json() == TOO_LONG


def test_create_unauthenticated_is_401(api_client):
    response = post_tweet(api_client, "hello")

    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
    }
    assert not Tweet.objects.exists()


# --- read --------------------------------------------------------------------------------


def test_get_one_tweet_anonymously(api_client):
    tweet = TweetFactory(text="public #news")

    response = api_client.get(f"/api/v1/tweets/{tweet.pk}/")

    assert response.status_code == 200
    assert response.json() == detail_json(tweet, hashtags=["news"])


def test_get_one_tweet_shows_the_viewers_flags(user, auth_client):
    tweet = TweetFactory()
    services.like_tweet(user=user, tweet_id=tweet.pk)
    services.retweet(user=user, tweet_id=tweet.pk)

    response = auth_client.get(f"/api/v1/tweets/{tweet.pk}/")

    assert response.json() == detail_json(
        tweet, likes_count=1, retweets_count=1, has_liked=True, has_retweeted=True
    )


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_missing_tweet_is_404(auth_client, method):
    body = {"text": "x"} if method == "patch" else None  # only an edit takes a body
    response = getattr(auth_client, method)("/api/v1/tweets/999999/", body, format="json")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No tweet with that id."}


# --- edit --------------------------------------------------------------------------------


def test_author_edits_text_and_tags_are_parsed_again(user):
    UserFactory(username="bob")
    carol = UserFactory(username="carol")
    edited = datetime(2030, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    with time_machine.travel(edited - timedelta(minutes=10), tick=False):
        tweet = TweetFactory(user=user, text="old #before @bob")

    with time_machine.travel(edited, tick=False):
        client = authenticate(APIClient(), user)
        response = client.patch(
            f"/api/v1/tweets/{tweet.pk}/", {"text": "new #After #still @Carol"}, format="json"
        )

    assert response.status_code == 200
    assert response.json() == tweet_json(
        tweet,
        text="new #After #still @Carol",
        edited_at="2030-05-01T12:00:00.123456Z",
        hashtags=["after", "still"],
        mentions=["carol"],
        edit_count=1,
    )
    assert list(tweet.mentions.all()) == [carol]
    assert list(tweet.hashtags.values_list("name", flat=True)) == ["after", "still"]


def test_edit_validates_text_like_create(user, auth_client):
    tweet = TweetFactory(user=user, text="before")

    too_long = auth_client.patch(f"/api/v1/tweets/{tweet.pk}/", {"text": "x" * 281}, format="json")
    spaces = auth_client.patch(f"/api/v1/tweets/{tweet.pk}/", {"text": "  "}, format="json")

    assert (too_long.status_code, too_long.json()) == (400, TOO_LONG)
    assert (spaces.status_code, spaces.json()) == (400, ONLY_SPACES)
    tweet.refresh_from_db()
    assert (tweet.text, tweet.edited_at) == ("before", None)


def test_edit_by_another_user_is_403(auth_client):
    tweet = TweetFactory(text="mine")

    response = auth_client.patch(f"/api/v1/tweets/{tweet.pk}/", {"text": "yours"}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "detail": "Only the author can edit a tweet.",
    }
    tweet.refresh_from_db()
    assert (tweet.text, tweet.edited_at) == ("mine", None)


def test_edit_unauthenticated_is_401(api_client):
    tweet = TweetFactory()

    response = api_client.patch(f"/api/v1/tweets/{tweet.pk}/", {"text": "x"}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_editing_a_retweet_is_400(user, auth_client):
    original = TweetFactory()
    services.retweet(user=user, tweet_id=original.pk)
    retweet = Tweet.objects.get(retweet_of=original)

    response = auth_client.patch(f"/api/v1/tweets/{retweet.pk}/", {"text": "hi"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "cannot_edit_retweet",
        "detail": "Retweets cannot be edited.",
    }


def test_put_is_405(user, auth_client):
    tweet = TweetFactory(user=user)

    response = auth_client.put(f"/api/v1/tweets/{tweet.pk}/", {"text": "x"}, format="json")

    assert response.status_code == 405
    assert response.json() == {"code": "method_not_allowed", "detail": 'Method "PUT" not allowed.'}


# --- delete ------------------------------------------------------------------------------


def test_author_deletes_a_tweet(user, auth_client):
    tweet = TweetFactory(user=user)

    response = auth_client.delete(f"/api/v1/tweets/{tweet.pk}/")

    assert response.status_code == 204
    assert response.content == b""
    assert not Tweet.objects.exists()
    user.refresh_from_db()
    assert user.tweets_count == 0
    assert auth_client.get(f"/api/v1/tweets/{tweet.pk}/").status_code == 404


def test_delete_by_another_user_is_403(auth_client):
    tweet = TweetFactory()

    response = auth_client.delete(f"/api/v1/tweets/{tweet.pk}/")

    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "detail": "Only the author can delete a tweet.",
    }
    assert Tweet.objects.filter(pk=tweet.pk).exists()


def test_deleting_the_original_removes_its_retweets_and_their_counts(user, auth_client):
    original = TweetFactory(user=user)
    retweeters = UserFactory.create_batch(3)
    for retweeter in retweeters:
        TweetFactory(user=retweeter)
        services.retweet(user=retweeter, tweet_id=original.pk)
    assert [u.tweets_count for u in User.objects.filter(pk__in=[r.pk for r in retweeters])] == [
        2
    ] * 3

    response = auth_client.delete(f"/api/v1/tweets/{original.pk}/")

    assert response.status_code == 204
    assert not Tweet.objects.filter(retweet_of=original.pk).exists()
    for retweeter in retweeters:
        retweeter.refresh_from_db()
        assert retweeter.tweets_count == 1 == retweeter.tweets.count()
    user.refresh_from_db()
    assert user.tweets_count == 0


def test_deleting_a_retweet_moves_the_originals_count(user, auth_client):
    original = TweetFactory()
    services.retweet(user=user, tweet_id=original.pk)
    retweet = Tweet.objects.get(retweet_of=original)

    response = auth_client.delete(f"/api/v1/tweets/{retweet.pk}/")

    assert response.status_code == 204
    original.refresh_from_db()
    user.refresh_from_db()
    assert (original.retweets_count, user.tweets_count) == (0, 0)


def test_get_a_retweet_nests_its_original(user, api_client):
    original = TweetFactory(text="the original #one")
    services.retweet(user=user, tweet_id=original.pk)
    retweet = Tweet.objects.get(retweet_of=original)

    response = api_client.get(f"/api/v1/tweets/{retweet.pk}/")

    assert response.status_code == 200
    assert response.json() == detail_json(
        retweet, user=summary_json(user), retweet_of=tweet_json(original, hashtags=["one"])
    )
