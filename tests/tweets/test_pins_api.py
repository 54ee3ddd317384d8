"""Pins (docs/api.md, "Threads, quotes, edits, bookmarks, pins"): POST and DELETE
/tweets/{id}/pin/ answer the caller's Profile with `pinned_tweet`; only one's own tweets
(not retweets) can be pinned, one at a time; deleting the tweet clears the pin; every
Profile carries `pinned_tweet` as its viewer may see it."""

import pytest
from rest_framework.test import APIClient

from tests.conftest import authenticate
from tests.factories import DEFAULT_PASSWORD, FriendshipFactory, TweetFactory, UserFactory
from tests.safety.conftest import block
from tests.shapes import error, me_json, profile_json, tweet_json
from tweets import services
from tweets.models import Pin, Tweet

pytestmark = pytest.mark.django_db


def pin(client, tweet, method: str = "post"):
    return getattr(client, method)(f"/api/v1/tweets/{tweet.pk}/pin/")


def profile(client, user):
    response = client.get(f"/api/v1/users/{user.username}/")
    assert response.status_code == 200, response.json()
    return response.json()


def test_pin_answers_my_profile_with_the_pinned_tweet(user, auth_client):
    tweet = TweetFactory(user=user, text="read this first #intro")

    response = pin(auth_client, tweet)

    assert response.status_code == 200
    user.refresh_from_db()
    assert response.json() == profile_json(user, pinned_tweet=tweet_json(tweet, hashtags=["intro"]))
    assert profile(APIClient(), user)["pinned_tweet"] == tweet_json(tweet, hashtags=["intro"])


def test_pinned_tweet_carries_the_viewers_flags(user, auth_client, make_auth_client):
    tweet = TweetFactory(user=user)
    pin(auth_client, tweet)
    fan = UserFactory()
    services.like_tweet(user=fan, tweet_id=tweet.pk)

    shown = profile(make_auth_client(fan), user)["pinned_tweet"]

    assert (shown["has_liked"], shown["likes_count"]) == (True, 1)


def test_me_carries_the_pinned_tweet(user, auth_client):
    tweet = TweetFactory(user=user)
    pin(auth_client, tweet)

    response = auth_client.get("/api/v1/me/")

    user.refresh_from_db()
    assert response.json() == me_json(user, pinned_tweet=tweet_json(tweet))


def test_pin_is_idempotent_and_pinning_another_replaces_it(user, auth_client):
    first, second = TweetFactory(user=user), TweetFactory(user=user)

    assert pin(auth_client, first).json()["pinned_tweet"]["id"] == first.pk
    assert pin(auth_client, first).json()["pinned_tweet"]["id"] == first.pk
    assert pin(auth_client, second).json()["pinned_tweet"]["id"] == second.pk

    assert list(Pin.objects.values_list("user_id", "tweet_id")) == [(user.pk, second.pk)]


def test_unpin_clears_it_and_is_idempotent(user, auth_client):
    tweet = TweetFactory(user=user)
    pin(auth_client, tweet)

    response = pin(auth_client, tweet, "delete")

    assert response.status_code == 200
    assert response.json()["pinned_tweet"] is None
    assert pin(auth_client, tweet, "delete").json()["pinned_tweet"] is None
    assert not Pin.objects.exists()


def test_unpinning_another_tweet_leaves_the_pin(user, auth_client):
    pinned, other = TweetFactory(user=user), TweetFactory(user=user)
    pin(auth_client, pinned)

    response = pin(auth_client, other, "delete")

    assert response.json()["pinned_tweet"]["id"] == pinned.pk


def test_deleting_the_pinned_tweet_clears_the_pin(user, auth_client):
    tweet = TweetFactory(user=user)
    pin(auth_client, tweet)

    assert auth_client.delete(f"/api/v1/tweets/{tweet.pk}/").status_code == 204

    assert profile(auth_client, user)["pinned_tweet"] is None
    assert not Pin.objects.exists()


def test_pinning_someone_elses_tweet_or_a_retweet_is_403(user, auth_client):
    theirs = TweetFactory()
    services.retweet(user=user, tweet_id=theirs.pk)
    my_retweet = Tweet.objects.get(user=user, retweet_of=theirs)

    for tweet in (theirs, my_retweet):
        for method in ("post", "delete"):
            response = pin(auth_client, tweet, method)
            assert response.status_code == 403
            assert response.json() == error(
                "permission_denied", "Only your own tweets (not retweets) can be pinned."
            )
    assert not Pin.objects.exists()


def test_pinning_a_missing_or_unseen_tweet_is_404(alice, auth_client):
    hidden = TweetFactory(user=alice)
    alice.is_protected = True
    alice.save(update_fields=["is_protected"])

    for path in ("/api/v1/tweets/999999/pin/", f"/api/v1/tweets/{hidden.pk}/pin/"):
        response = auth_client.post(path)
        assert response.status_code == 404
        assert response.json() == error("not_found", "No tweet with that id.")


def test_pin_needs_a_signed_in_user(api_client):
    tweet = TweetFactory()

    response = api_client.post(f"/api/v1/tweets/{tweet.pk}/pin/")

    assert response.status_code == 401
    assert response.json() == error("not_authenticated")


def test_a_protected_accounts_pin_shows_only_to_its_followers(alice, make_auth_client):
    tweet = TweetFactory(user=alice)
    follower = UserFactory()
    FriendshipFactory(follower=follower, followee=alice)
    pin(make_auth_client(alice), tweet)
    alice.is_protected = True
    alice.save(update_fields=["is_protected"])

    assert profile(APIClient(), alice)["pinned_tweet"] is None
    assert profile(make_auth_client(), alice)["pinned_tweet"] is None
    assert profile(make_auth_client(follower), alice)["pinned_tweet"]["id"] == tweet.pk


def test_a_blocked_users_pin_is_not_shown(alice, bob, alice_client, bob_client):
    tweet = TweetFactory(user=alice)
    pin(alice_client, tweet)

    assert block(alice_client, bob).json()["pinned_tweet"] is None  # bob's profile: no pin
    assert profile(bob_client, alice)["pinned_tweet"] is None
    assert profile(bob_client, alice)["blocked_by"] is True


def test_profile_responses_of_follows_carry_the_pin(alice, bob_client, alice_client):
    tweet = TweetFactory(user=alice)
    pin(alice_client, tweet)

    response = bob_client.post("/api/v1/users/alice/follow/")

    assert response.json()["pinned_tweet"]["id"] == tweet.pk


@pytest.mark.parametrize("signed_in", [False, True])
def test_profile_costs_no_more_without_a_pin_and_a_fixed_number_with_one(
    user, django_assert_num_queries, signed_in
):
    """Without a pin: the profile as before (its pin's id is in its query). With one: the
    pinned tweet (visibility and blocks joined), its photos, hashtags, mentions and, signed
    in, the viewer's flags."""
    owner = UserFactory()
    client = authenticate(APIClient(), user) if signed_in else APIClient()
    jwt = int(signed_in)

    with django_assert_num_queries(jwt + 1):
        assert profile(client, owner)["pinned_tweet"] is None

    services.pin_tweet(user=owner, tweet_id=TweetFactory(user=owner, text="#a @b").pk)
    with django_assert_num_queries(jwt + 1 + 4 + jwt):
        assert profile(client, owner)["pinned_tweet"] is not None


def test_me_shows_my_own_pin_even_protected_and_in_the_login_answer(alice, alice_client):
    tweet = TweetFactory(user=alice)
    pin(alice_client, tweet)
    alice.is_protected = True
    alice.save(update_fields=["is_protected"])

    assert alice_client.get("/api/v1/me/").json()["pinned_tweet"]["id"] == tweet.pk
    login = APIClient().post(
        "/api/v1/auth/login/", {"username": "alice", "password": DEFAULT_PASSWORD}, format="json"
    )
    assert login.status_code == 200
    assert login.json()["user"]["pinned_tweet"]["id"] == tweet.pk
