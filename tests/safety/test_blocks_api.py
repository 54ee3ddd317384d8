"""Blocks (docs/api.md "Blocks and mutes"): POST/DELETE /users/{u}/block/,
GET /blocks/, and what a block does everywhere else, in both directions."""

import pytest
from rest_framework.test import APIClient

from friendships.models import Friendship
from newsfeeds.models import NewsFeed
from notifications.models import Notification
from safety.models import Block
from tests.factories import (
    CommentFactory,
    FriendshipFactory,
    RetweetFactory,
    TweetFactory,
    UserFactory,
)
from tests.safety.conftest import block, ids, usernames
from tests.shapes import error, profile_json, summary_json
from tweets import services as tweet_services

pytestmark = pytest.mark.django_db


def test_block_answers_the_blocked_profile_with_is_blocking(alice, bob, alice_client):
    response = block(alice_client, bob)

    assert response.status_code == 200
    bob.refresh_from_db()
    assert response.json() == profile_json(bob, is_blocking=True)
    assert Block.objects.filter(blocker=alice, blocked=bob).count() == 1


def test_block_and_unblock_are_idempotent(alice, bob, alice_client):
    assert block(alice_client, bob).json()["is_blocking"] is True
    assert block(alice_client, bob).json()["is_blocking"] is True
    assert Block.objects.count() == 1

    first = block(alice_client, bob, "delete")
    second = block(alice_client, bob, "delete")

    assert first.status_code == second.status_code == 200
    assert second.json()["is_blocking"] is False
    assert Block.objects.count() == 0


def test_block_self_is_400(alice, alice_client):
    response = block(alice_client, alice)

    assert response.status_code == 400
    assert response.json() == error("cannot_block_self")


def test_block_needs_a_signed_in_user_and_an_existing_one(alice, alice_client, api_client):
    assert block(api_client, alice).status_code == 401
    missing = alice_client.post("/api/v1/users/nobody/block/")
    assert missing.status_code == 404
    assert missing.json() == error("not_found")


def test_block_removes_the_follows_both_ways_and_corrects_counters(alice, bob, alice_client):
    FriendshipFactory(follower=alice, followee=bob)
    FriendshipFactory(follower=bob, followee=alice)

    response = block(alice_client, bob)

    assert response.json()["followers_count"] == 0
    assert response.json()["following_count"] == 0
    assert not Friendship.objects.filter(follower__in=[alice, bob]).exists()
    for user in (alice, bob):
        user.refresh_from_db()
        assert (user.followers_count, user.following_count) == (0, 0)


def test_block_takes_each_ones_tweets_and_retweets_out_of_the_others_feed(
    alice, bob, alice_client, bob_client, committed
):
    carol = UserFactory(username="carol")
    FriendshipFactory(follower=alice, followee=bob)
    FriendshipFactory(follower=bob, followee=alice)
    FriendshipFactory(follower=alice, followee=carol)
    FriendshipFactory(follower=bob, followee=carol)
    with committed():
        bobs = TweetFactory(user=bob)
        alices = TweetFactory(user=alice)
        carols = TweetFactory(user=carol)
        carol_retweets_bob = RetweetFactory(user=carol, retweet_of=bobs)
        carol_retweets_alice = RetweetFactory(user=carol, retweet_of=alices)
    # Both feeds are read (and cached, with Redis) before the block.
    assert bobs.pk in ids(alice_client.get("/api/v1/newsfeed/"))
    assert alices.pk in ids(bob_client.get("/api/v1/newsfeed/"))

    with committed():
        assert block(alice_client, bob).status_code == 200

    assert ids(alice_client.get("/api/v1/newsfeed/")) == [
        carol_retweets_alice.pk,
        carols.pk,
        alices.pk,
    ]
    assert ids(bob_client.get("/api/v1/newsfeed/")) == [carol_retweets_bob.pk, carols.pk, bobs.pk]
    assert not NewsFeed.objects.filter(user=alice, author=bob).exists()
    assert not NewsFeed.objects.filter(user=bob, author=alice).exists()


def test_blocked_user_sees_the_blockers_profile_with_blocked_by(
    alice, bob, alice_client, bob_client
):
    block(alice_client, bob)

    response = bob_client.get("/api/v1/users/alice/")

    assert response.status_code == 200
    assert response.json() == profile_json(alice, blocked_by=True)


@pytest.mark.parametrize("direction", ["blocker", "blocked"])
def test_user_tweets_between_blocked_users_are_403(alice, bob, alice_client, bob_client, direction):
    TweetFactory(user=alice)
    TweetFactory(user=bob)
    block(alice_client, bob)
    client, other = (bob_client, "alice") if direction == "blocked" else (alice_client, "bob")

    response = client.get(f"/api/v1/users/{other}/tweets/")

    assert response.status_code == 403
    assert response.json() == error("blocked")


def follow(client, target, mine, theirs):
    return client.post(f"/api/v1/users/{target.username}/follow/")


def like(client, target, mine, theirs):
    return client.post(f"/api/v1/tweets/{theirs.pk}/like/")


def like_through_a_retweet(client, target, mine, theirs):
    retweet = RetweetFactory(retweet_of=theirs)
    return client.post(f"/api/v1/tweets/{retweet.pk}/like/")


def retweet(client, target, mine, theirs):
    return client.post(f"/api/v1/tweets/{theirs.pk}/retweet/")


def comment(client, target, mine, theirs):
    return client.post(f"/api/v1/tweets/{theirs.pk}/comments/", {"text": "hi"})


def like_comment_on_their_tweet(client, target, mine, theirs):
    other_comment = CommentFactory(tweet=theirs)
    return client.post(f"/api/v1/comments/{other_comment.pk}/like/")


def like_their_comment(client, target, mine, theirs):
    their_comment = CommentFactory(tweet=TweetFactory(), user=target)
    return client.post(f"/api/v1/comments/{their_comment.pk}/like/")


def open_conversation(client, target, mine, theirs):
    return client.post("/api/v1/conversations/", {"username": target.username})


def read_their_tweet(client, target, mine, theirs):
    return client.get(f"/api/v1/tweets/{theirs.pk}/")


def read_a_retweet_of_their_tweet(client, target, mine, theirs):
    return client.get(f"/api/v1/tweets/{RetweetFactory(retweet_of=theirs).pk}/")


def read_their_tweets_likes(client, target, mine, theirs):
    return client.get(f"/api/v1/tweets/{theirs.pk}/likes/")


def read_their_tweets_comments(client, target, mine, theirs):
    return client.get(f"/api/v1/tweets/{theirs.pk}/comments/")


FORBIDDEN = [
    follow,
    like,
    like_through_a_retweet,
    retweet,
    comment,
    like_comment_on_their_tweet,
    like_their_comment,
    open_conversation,
    read_their_tweet,
    read_a_retweet_of_their_tweet,
    read_their_tweets_likes,
    read_their_tweets_comments,
]


@pytest.mark.parametrize("direction", ["blocker", "blocked"])
@pytest.mark.parametrize("action", FORBIDDEN, ids=lambda action: action.__name__)
def test_acting_on_each_other_is_403_blocked(
    alice, bob, alice_client, bob_client, direction, action
):
    alices, bobs = TweetFactory(user=alice), TweetFactory(user=bob)
    block(alice_client, bob)
    if direction == "blocker":
        client, target, mine, theirs = alice_client, bob, alices, bobs
    else:
        client, target, mine, theirs = bob_client, alice, bobs, alices

    response = action(client, target, mine, theirs)

    assert response.status_code == 403, response.json()
    assert response.json() == error("blocked")
    between = Notification.objects.filter(recipient__in=[alice, bob], actor__in=[alice, bob])
    assert not between.exists()


def test_sending_a_message_in_an_existing_conversation_after_a_block_is_403(
    alice, bob, alice_client, bob_client
):
    conversation = alice_client.post("/api/v1/conversations/", {"username": "bob"}).json()
    block(alice_client, bob)

    for client in (alice_client, bob_client):
        response = client.post(
            f"/api/v1/conversations/{conversation['id']}/messages/", {"text": "hello?"}
        )
        assert response.status_code == 403
        assert response.json() == error("blocked")


def test_each_others_content_leaves_every_list(alice, bob, alice_client, bob_client):
    carol = UserFactory(username="carol")
    carols = TweetFactory(user=carol, text="#topic searchword from carol")
    bobs = TweetFactory(user=bob, text="#topic searchword from bob")
    bob_retweets_carol = RetweetFactory(user=bob, retweet_of=carols)
    carol_retweets_bob = RetweetFactory(user=carol, retweet_of=bobs)
    CommentFactory(tweet=carols, user=bob)
    carols_comment = CommentFactory(tweet=carols, user=carol)
    tweet_services.like_tweet(user=bob, tweet_id=carols.pk)
    tweet_services.like_tweet(user=carol, tweet_id=carols.pk)
    dave = UserFactory(username="dave")
    FriendshipFactory(follower=bob, followee=dave)
    FriendshipFactory(follower=carol, followee=dave)
    FriendshipFactory(follower=dave, followee=bob)
    before = {
        "hashtag": ids(alice_client.get("/api/v1/tweets/?hashtag=topic")),
        "search": ids(alice_client.get("/api/v1/tweets/?q=searchword")),
    }
    assert bobs.pk in before["hashtag"] and bobs.pk in before["search"]

    block(bob_client, alice)  # Bob blocks Alice: Alice must see none of Bob's content

    assert ids(alice_client.get("/api/v1/tweets/?hashtag=topic")) == [carols.pk]
    assert ids(alice_client.get("/api/v1/tweets/?q=searchword")) == [carols.pk]
    assert ids(alice_client.get("/api/v1/users/carol/tweets/")) == [carols.pk]
    assert bob_retweets_carol.pk not in ids(alice_client.get("/api/v1/tweets/?hashtag=topic"))
    assert carol_retweets_bob.pk not in ids(alice_client.get("/api/v1/users/carol/tweets/"))
    assert ids(alice_client.get(f"/api/v1/tweets/{carols.pk}/comments/")) == [carols_comment.pk]
    assert usernames(alice_client.get(f"/api/v1/tweets/{carols.pk}/likes/")) == ["carol"]
    assert usernames(alice_client.get("/api/v1/users/dave/followers/")) == ["carol"]
    assert usernames(alice_client.get("/api/v1/users/dave/following/")) == []
    # Others still see everything.
    assert len(ids(APIClient().get(f"/api/v1/tweets/{carols.pk}/comments/"))) == 2


def test_anonymous_readers_are_not_affected_by_blocks(alice, bob, alice_client, api_client):
    tweet = TweetFactory(user=bob, text="#topic")
    block(alice_client, bob)

    assert ids(api_client.get("/api/v1/tweets/?hashtag=topic")) == [tweet.pk]
    assert api_client.get("/api/v1/users/bob/tweets/").status_code == 200


def test_blocks_lists_the_blocked_users_most_recent_first(alice, alice_client, api_client):
    bob, carol = UserFactory(username="bob"), UserFactory(username="carol")
    block(alice_client, bob)
    block(alice_client, carol)

    response = alice_client.get("/api/v1/blocks/")

    assert response.status_code == 200
    assert response.json() == {
        "results": [summary_json(carol), summary_json(bob)],
        "next": None,
        "previous": response.json()["previous"],
    }
    assert api_client.get("/api/v1/blocks/").status_code == 401


def test_no_notification_passes_between_blocked_users(alice, bob, alice_client, bob_client):
    carol = UserFactory(username="carol")
    alices = TweetFactory(user=alice)
    bob_client.post(f"/api/v1/tweets/{alices.pk}/like/")
    assert Notification.objects.filter(recipient=alice, actor=bob).count() == 1

    block(alice_client, bob)

    # The ones from before the block are gone, and a mention makes no new one.
    assert Notification.objects.filter(recipient=alice, actor=bob).count() == 0
    response = bob_client.post("/api/v1/tweets/", {"text": "hello @alice @carol"})
    assert response.status_code == 201
    assert alice_client.get("/api/v1/notifications/").json()["results"] == []
    assert Notification.objects.filter(recipient=carol, actor=bob, verb="mentioned").count() == 1


def test_suggestions_leave_out_blocked_users_both_ways(alice, bob, alice_client, bob_client):
    carol = UserFactory(username="carol")
    for user in (alice, bob, carol):
        user.followers_count = 5
        user.save(update_fields=["followers_count"])
    block(alice_client, bob)

    assert "bob" not in usernames(alice_client.get("/api/v1/users/suggestions/"))
    assert "alice" not in usernames(bob_client.get("/api/v1/users/suggestions/"))
    assert "carol" in usernames(bob_client.get("/api/v1/users/suggestions/"))


# --- user search -------------------------------------------------------------------------


@pytest.mark.parametrize("blocker_is_searcher", [True, False])
def test_user_search_leaves_out_users_blocked_either_way(
    alice, bob, alice_client, blocker_is_searcher
):
    UserFactory(username="bobby")
    if blocker_is_searcher:
        Block.objects.create(blocker=alice, blocked=bob)
    else:
        Block.objects.create(blocker=bob, blocked=alice)

    assert usernames(alice_client.get("/api/v1/users/?search=bo")) == ["bobby"]


def test_user_search_shows_blocked_users_to_others_and_after_unblocking(
    alice, bob, alice_client, make_auth_client, api_client
):
    block(alice_client, bob)

    assert usernames(make_auth_client().get("/api/v1/users/?search=bo")) == ["bob"]
    assert usernames(api_client.get("/api/v1/users/?search=bo")) == ["bob"]
    block(alice_client, bob, "delete")
    assert usernames(alice_client.get("/api/v1/users/?search=bo")) == ["bob"]
