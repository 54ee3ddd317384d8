"""Protected accounts and follow requests (docs/api.md "Blocks and mutes"): a
protected account's tweets are seen only by its accepted followers and itself, follows
become requests it accepts or rejects, and nothing leaks through a list, a detail, a
retweet, a notification or a Facebook share."""

import pytest
from rest_framework.test import APIClient

from friendships.models import FollowRequest, Friendship
from notifications.models import Notification
from tests.factories import CommentFactory, FriendshipFactory, TweetFactory, UserFactory
from tests.safety.conftest import block, ids, usernames
from tests.shapes import error, profile_json, summary_json
from tweets.models import Tweet

pytestmark = pytest.mark.django_db


def protect(client, on: bool = True):
    response = client.patch("/api/v1/me/", {"is_protected": on}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["is_protected"] is on
    return response


def follow(client, user):
    return client.post(f"/api/v1/users/{user.username}/follow/")


def test_following_a_protected_account_asks_and_notifies(alice, bob, alice_client, bob_client):
    protect(alice_client)

    response = follow(bob_client, alice)

    assert response.status_code == 200
    alice.refresh_from_db()
    assert response.json() == profile_json(alice, follow_requested=True)
    assert not Friendship.objects.filter(follower=bob, followee=alice).exists()
    notification = alice_client.get("/api/v1/notifications/").json()["results"][0]
    assert notification["verb"] == "follow_requested"
    assert notification["actor"] == summary_json(bob)
    # Asking twice is one request and one notification.
    assert follow(bob_client, alice).json()["follow_requested"] is True
    assert FollowRequest.objects.count() == 1
    assert Notification.objects.filter(verb="follow_requested").count() == 1


def test_follow_requests_lists_the_requesters(alice, alice_client, api_client):
    protect(alice_client)
    bob, carol = UserFactory(username="bob"), UserFactory(username="carol")
    follow(_client_for(bob), alice)
    follow(_client_for(carol), alice)

    response = alice_client.get("/api/v1/follow-requests/")

    assert response.status_code == 200
    assert response.json()["results"] == [summary_json(carol), summary_json(bob)]
    assert api_client.get("/api/v1/follow-requests/").status_code == 401


def _client_for(user):
    from tests.conftest import authenticate

    return authenticate(APIClient(), user)


def test_accepting_makes_a_follow_that_backfills_and_notifies(
    alice, bob, alice_client, bob_client, committed
):
    protect(alice_client)
    tweet = TweetFactory(user=alice)
    follow(bob_client, alice)
    assert ids(bob_client.get("/api/v1/newsfeed/")) == []  # also caches it, with Redis

    with committed():  # the follow drops the cached feed after commit
        response = alice_client.post("/api/v1/follow-requests/bob/accept/")

    assert response.status_code == 200
    bob.refresh_from_db()
    assert response.json() == profile_json(bob, follows_you=True)
    assert Friendship.objects.filter(follower=bob, followee=alice).exists()
    assert not FollowRequest.objects.exists()
    assert ids(bob_client.get("/api/v1/newsfeed/")) == [tweet.pk]
    assert bob_client.get(f"/api/v1/tweets/{tweet.pk}/").status_code == 200
    accepted = bob_client.get("/api/v1/notifications/").json()["results"][0]
    assert (accepted["verb"], accepted["actor"]["username"]) == ("follow_accepted", "alice")
    assert bob_client.get("/api/v1/users/alice/").json()["is_following"] is True


def test_rejecting_deletes_the_request(alice, bob, alice_client, bob_client):
    protect(alice_client)
    follow(bob_client, alice)

    response = alice_client.post("/api/v1/follow-requests/bob/reject/")

    assert response.status_code == 200
    assert response.json()["username"] == "bob"
    assert not FollowRequest.objects.exists()
    assert not Friendship.objects.exists()
    assert bob_client.get("/api/v1/users/alice/").json()["follow_requested"] is False


@pytest.mark.parametrize("answer", ["accept", "reject"])
def test_answering_a_missing_request_is_404(alice, bob, alice_client, answer):
    response = alice_client.post(f"/api/v1/follow-requests/bob/{answer}/")

    assert response.status_code == 404
    assert response.json() == error("not_found")


def test_unfollow_withdraws_a_pending_request(alice, bob, alice_client, bob_client):
    protect(alice_client)
    follow(bob_client, alice)

    response = bob_client.delete("/api/v1/users/alice/follow/")

    assert response.json()["follow_requested"] is False
    assert not FollowRequest.objects.exists()


def test_lifting_protection_accepts_the_pending_requests(alice, bob, alice_client, bob_client):
    protect(alice_client)
    follow(bob_client, alice)

    protect(alice_client, on=False)

    assert Friendship.objects.filter(follower=bob, followee=alice).exists()
    assert not FollowRequest.objects.exists()
    alice.refresh_from_db()
    assert alice.followers_count == 1


def test_a_block_removes_pending_requests_both_ways(alice, bob, alice_client, bob_client):
    protect(alice_client)
    follow(bob_client, alice)

    block(bob_client, alice)

    assert not FollowRequest.objects.exists()


def test_protected_tweets_are_seen_only_by_followers_and_the_author(
    alice, bob, alice_client, bob_client, api_client
):
    carol = UserFactory(username="carol")
    carol_client = _client_for(carol)
    FriendshipFactory(follower=carol, followee=alice)
    protect(alice_client)
    tweet = TweetFactory(user=alice, text="#secret hush words")
    CommentFactory(tweet=tweet, user=carol)

    for client in (alice_client, carol_client):
        assert ids(client.get("/api/v1/users/alice/tweets/")) == [tweet.pk]
        assert ids(client.get("/api/v1/tweets/?hashtag=secret")) == [tweet.pk]
        assert ids(client.get("/api/v1/tweets/?q=hush")) == [tweet.pk]
        assert client.get(f"/api/v1/tweets/{tweet.pk}/").status_code == 200
        assert client.get(f"/api/v1/tweets/{tweet.pk}/comments/").status_code == 200

    for client in (bob_client, api_client):
        assert client.get("/api/v1/users/alice/").status_code == 200  # the profile shows
        assert client.get("/api/v1/users/alice/tweets/").json() == error("not_found")
        assert ids(client.get("/api/v1/tweets/?hashtag=secret")) == []
        assert ids(client.get("/api/v1/tweets/?q=hush")) == []
        for path in ("", "comments/", "likes/"):
            response = client.get(f"/api/v1/tweets/{tweet.pk}/{path}")
            assert response.status_code == 404, path
            assert response.json() == error("not_found")
    for path, body in (("like/", None), ("comments/", {"text": "x"})):
        assert bob_client.post(f"/api/v1/tweets/{tweet.pk}/{path}", body).status_code == 404
    comment_id = tweet.comments.get().pk
    for method in ("post", "delete"):  # a comment's text shows in the answer
        response = getattr(bob_client, method)(f"/api/v1/comments/{comment_id}/like/")
        assert response.status_code == 404, method


def test_protected_tweets_cannot_be_retweeted_even_by_followers(
    alice, bob, alice_client, bob_client
):
    FriendshipFactory(follower=bob, followee=alice)
    protect(alice_client)
    tweet = TweetFactory(user=alice)

    for client in (bob_client, alice_client):
        response = client.post(f"/api/v1/tweets/{tweet.pk}/retweet/")
        assert response.status_code == 403
        assert response.json() == error("protected")


def test_protecting_an_account_removes_others_retweets_of_its_tweets(
    alice, bob, alice_client, bob_client
):
    carol = UserFactory(username="carol")
    tweet = TweetFactory(user=alice, text="#later")
    _client_for(carol).post(f"/api/v1/tweets/{tweet.pk}/retweet/")
    FriendshipFactory(follower=bob, followee=carol)
    assert len(ids(bob_client.get("/api/v1/newsfeed/"))) == 1

    protect(alice_client)

    assert ids(bob_client.get("/api/v1/newsfeed/")) == []
    assert ids(bob_client.get("/api/v1/users/carol/tweets/")) == []
    assert ids(bob_client.get("/api/v1/tweets/?hashtag=later")) == []
    assert not Tweet.objects.filter(retweet_of=tweet).exists()
    tweet.refresh_from_db()
    carol.refresh_from_db()
    assert (tweet.retweets_count, carol.tweets_count) == (0, 0)


def test_mentions_from_a_protected_account_notify_only_its_followers(
    alice, bob, alice_client, bob_client
):
    carol = UserFactory(username="carol")
    FriendshipFactory(follower=carol, followee=alice)
    protect(alice_client)

    alice_client.post("/api/v1/tweets/", {"text": "hi @bob and @carol"})

    assert not Notification.objects.filter(recipient=bob, verb="mentioned").exists()
    assert Notification.objects.filter(recipient=carol, verb="mentioned").count() == 1


def test_new_tweets_reach_only_accepted_followers(alice, bob, alice_client, bob_client, committed):
    carol = UserFactory(username="carol")
    FriendshipFactory(follower=carol, followee=alice)
    protect(alice_client)
    follow(bob_client, alice)  # pending

    with committed():
        tweet = TweetFactory(user=alice)

    assert ids(_client_for(carol).get("/api/v1/newsfeed/")) == [tweet.pk]
    assert ids(bob_client.get("/api/v1/newsfeed/")) == []
    assert usernames(bob_client.get("/api/v1/users/alice/followers/")) == ["carol"]
