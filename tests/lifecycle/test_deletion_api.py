"""DELETE /me/ (docs/api.md "Account deletion and data export", docs/lifecycle.md): the proof,
what happens at once, and the purge: every row and file of the account gone, every counter
of other users exact (docs/reliability.md I3), conversations showing a deleted account."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import User
from facebook_connect.models import FacebookAccount, FacebookFriend
from friendships.models import FollowRequest, Friendship
from lifecycle import services
from lifecycle.models import AccountDeletion
from messaging import services as messaging_services
from messaging.models import ConversationMember, Message
from newsfeeds.models import NewsFeed
from notifications.models import Notification, NotificationOptOut
from safety.models import Block, Mute
from tests.conftest import authenticate, set_throttle_rates
from tests.facebook_connect.helpers import fb_login
from tests.factories import (
    DEFAULT_PASSWORD,
    CommentFactory,
    FriendshipFactory,
    RetweetFactory,
    TweetFactory,
    UserFactory,
)
from tests.integration.invariants import assert_counters_exact
from tests.shapes import ANY, error
from tests.tweets.helpers import image_upload, media_files
from tweets import services as tweet_services
from tweets.models import Bookmark, Comment, Like, Mention, Tweet, TweetPhoto

ME = "/api/v1/me/"

pytestmark = pytest.mark.django_db


def delete_me(client, body=None):
    return client.delete(ME, body if body is not None else {"password": DEFAULT_PASSWORD})


def make_life(alice, bob, carol):
    """Alice's life among others: follows both ways, tweets with a photo, likes, comments,
    retweets in both directions, mentions, notifications, a conversation, blocks, mutes,
    an avatar."""
    FriendshipFactory(follower=alice, followee=bob)
    FriendshipFactory(follower=bob, followee=alice)
    FriendshipFactory(follower=carol, followee=alice)
    own = TweetFactory(user=alice, text="hello @bob #life", photos=[image_upload()])
    TweetFactory(user=alice, text="second")
    theirs = TweetFactory(user=bob, text="bob's tweet")
    tweet_services.like_tweet(user=alice, tweet_id=theirs.pk)
    tweet_services.like_tweet(user=bob, tweet_id=own.pk)
    tweet_services.like_tweet(user=carol, tweet_id=theirs.pk)
    comment = CommentFactory(tweet=theirs, user=alice, text="nice")
    their_comment = CommentFactory(tweet=theirs, user=carol, text="indeed")
    tweet_services.like_comment(user=alice, comment_id=their_comment.pk)
    tweet_services.like_comment(user=bob, comment_id=comment.pk)
    CommentFactory(tweet=own, user=bob, text="on alice's")
    RetweetFactory(user=alice, retweet_of=theirs)
    RetweetFactory(user=bob, retweet_of=own)
    RetweetFactory(user=alice, retweet_of=own)
    TweetFactory(user=bob, text="hi @alice")
    Bookmark.objects.create(user=alice, tweet=theirs)
    conversation, _ = messaging_services.get_or_create_conversation(user=bob, username="alice")
    messaging_services.send_message(sender=bob, conversation=conversation, text="hello alice")
    messaging_services.send_message(sender=alice, conversation=conversation, text="hi bob")
    Block.objects.create(blocker=alice, blocked=UserFactory())
    Mute.objects.create(muter=carol, muted=alice)
    NotificationOptOut.objects.create(user=alice, verb="followed")
    account_services.update_profile(user=alice, data={"avatar": image_upload("PNG")})
    return conversation


def test_delete_answers_202_and_closes_the_account_at_once(
    alice, alice_client, bob_client, django_capture_on_commit_callbacks
):
    refresh = account_services.issue_tokens(user=alice)["refresh"]
    TweetFactory(user=alice, text="still here until the purge")

    with django_capture_on_commit_callbacks() as callbacks:
        response = delete_me(alice_client)

    assert response.status_code == 202
    assert response.content == b""
    alice.refresh_from_db()
    assert not alice.is_active and not alice.has_usable_password()
    assert alice.username == f"deleted-{alice.pk}" and alice.display_name == "Deleted account"
    assert alice.email == "" and alice.bio == ""
    # The access token stops working, the refresh token too, no login, no profile.
    assert alice_client.get(ME).status_code == 401
    anonymous = APIClient()
    refreshed = anonymous.post("/api/v1/auth/token/refresh/", {"refresh": refresh})
    assert refreshed.status_code == 401
    login = anonymous.post(
        "/api/v1/auth/login/", {"username": "alice", "password": DEFAULT_PASSWORD}
    )
    assert login.status_code == 401
    assert bob_client.get("/api/v1/users/alice/").status_code == 404
    # The purge waits for the commit; the username and email are free again.
    assert AccountDeletion.objects.get(user=alice).status == AccountDeletion.PENDING
    assert len(callbacks) >= 1
    signup = anonymous.post(
        "/api/v1/auth/signup/",
        {"username": "alice", "email": "alice@example.com", "password": DEFAULT_PASSWORD},
    )
    assert signup.status_code == 201


def test_delete_closes_the_sockets_as_a_password_change_does(
    alice, alice_client, django_capture_on_commit_callbacks, monkeypatch
):
    closed = []
    monkeypatch.setattr(
        "accounts.services.close_user_sockets_on_commit", lambda user_id: closed.append(user_id)
    )
    assert delete_me(alice_client).status_code == 202
    assert closed == [alice.pk]


def test_the_purge_deletes_everything_and_keeps_others_counters_exact(
    alice, bob, alice_client, bob_client, django_capture_on_commit_callbacks
):
    carol = UserFactory(username="carol")
    conversation = make_life(alice, bob, carol)
    alice.refresh_from_db()
    avatar = Path(settings.MEDIA_ROOT) / alice.avatar.name
    assert avatar.exists() and len(media_files()) == 2
    assert_counters_exact()

    with django_capture_on_commit_callbacks(execute=True):
        assert delete_me(alice_client).status_code == 202

    deletion = AccountDeletion.objects.get(user=alice)
    assert deletion.status == AccountDeletion.DONE and deletion.completed_at is not None
    assert not Tweet.objects.filter(user=alice).exists()
    assert not Tweet.objects.filter(retweet_of__user=alice).exists()  # bob's retweet of hers
    assert not Like.objects.filter(user=alice).exists()
    assert not Comment.objects.filter(user=alice).exists()
    assert not Comment.objects.filter(tweet__user=alice).exists()
    assert not TweetPhoto.objects.exists()
    assert not Mention.objects.filter(user=alice).exists()
    assert not Bookmark.objects.filter(user=alice).exists()
    assert not Friendship.objects.filter(follower=alice).exists()
    assert not Friendship.objects.filter(followee=alice).exists()
    assert not NewsFeed.objects.filter(user=alice).exists()
    assert not NewsFeed.objects.filter(author=alice).exists()
    assert not Notification.objects.filter(recipient=alice).exists()
    assert not Notification.objects.filter(actor=alice).exists()
    assert not NotificationOptOut.objects.filter(user=alice).exists()
    assert not Message.objects.filter(sender=alice).exists()
    assert not Block.objects.filter(blocker=alice).exists()
    assert not Mute.objects.filter(muted=alice).exists()
    assert media_files() == []  # the photo and the avatar
    alice.refresh_from_db()
    assert not alice.avatar
    assert (alice.tweets_count, alice.followers_count, alice.following_count) == (0, 0, 0)
    # I3 for everyone: bob lost a follower, a followee, a like, a retweet and a comment.
    assert_counters_exact()
    bob.refresh_from_db()
    carol.refresh_from_db()
    assert (bob.followers_count, bob.following_count) == (0, 0)
    assert carol.following_count == 0
    theirs = Tweet.objects.get(user=bob, text="bob's tweet")
    assert (theirs.likes_count, theirs.retweets_count, theirs.comments_count) == (1, 0, 1)
    assert Comment.objects.get(user=carol).likes_count == 0

    # Bob's conversation stays, with his message, and a deleted account in it.
    page = bob_client.get("/api/v1/conversations/").json()["results"]
    assert [item["id"] for item in page] == [conversation.pk]
    participants = {p["id"]: p for p in page[0]["participants"]}
    assert participants[alice.pk] == {
        "id": alice.pk,
        "username": f"deleted-{alice.pk}",
        "display_name": "Deleted account",
        "avatar_url": None,
    }
    assert page[0]["last_message"]["text"] == "hello alice"
    messages = bob_client.get(f"/api/v1/conversations/{conversation.pk}/messages/").json()
    assert [m["text"] for m in messages["results"]] == ["hello alice"]
    assert ConversationMember.objects.filter(conversation=conversation, user=alice).exists()
    # Bob's feed and notifications hold nothing of hers.
    feed = bob_client.get("/api/v1/newsfeed/").json()["results"]
    assert all(item["user"]["id"] != alice.pk for item in feed)
    notifications = bob_client.get("/api/v1/notifications/").json()["results"]
    assert notifications and all(item["actor"]["id"] != alice.pk for item in notifications)


def test_the_purge_is_idempotent_and_resumes_from_any_step(
    alice, bob, alice_client, django_capture_on_commit_callbacks, settings
):
    settings.ACCOUNT_PURGE_BATCH_SIZE = 2
    carol = UserFactory(username="carol")
    make_life(alice, bob, carol)
    for n in range(5):
        TweetFactory(user=alice, text=f"more {n}")
    # The request commits, its task never runs (a lost message): half a purge, by hand, as a
    # worker killed mid-way would leave it, then the reconciler's run finishes it.
    assert delete_me(alice_client).status_code == 202
    settings.LIFECYCLE_TASK_SECONDS = 0  # one batch per run: the task hands on at once
    assert services.purge_account(user_id=alice.pk) is False
    deletion = AccountDeletion.objects.get(user=alice)
    assert deletion.step == "follows" and deletion.lease_until is None
    assert_counters_exact()

    settings.LIFECYCLE_TASK_SECONDS = 60
    assert services.resume(older_than=timedelta(0)) == 1
    assert AccountDeletion.objects.get(user=alice).status == AccountDeletion.DONE
    assert not Tweet.objects.filter(user=alice).exists()
    assert_counters_exact()
    # Again: nothing to do, nothing moves.
    assert services.purge_account(user_id=alice.pk) is True
    assert_counters_exact()


def test_a_purge_whose_lease_is_held_waits(alice, alice_client, settings):
    assert delete_me(alice_client).status_code == 202
    AccountDeletion.objects.filter(user=alice).update(
        lease_until=timezone.now() + timedelta(minutes=5)
    )
    assert services.purge_account(user_id=alice.pk) is None
    assert services.resume(older_than=timedelta(0)) == 0


def test_pending_follow_requests_go_both_ways(
    alice, bob, alice_client, django_capture_on_commit_callbacks
):
    protected = UserFactory(is_protected=True)
    FollowRequest.objects.create(requester=alice, target=protected)
    FollowRequest.objects.create(requester=bob, target=alice)
    with django_capture_on_commit_callbacks(execute=True):
        assert delete_me(alice_client).status_code == 202
    assert not FollowRequest.objects.exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"password": "wrong-passphrase"}, {"password": ["The password is incorrect."]}),
        ({}, {"password": ANY}),
        ({"password": ""}, {"password": ANY}),
    ],
)
def test_wrong_or_missing_password_is_400_and_changes_nothing(alice, alice_client, body, fields):
    response = delete_me(alice_client, body)

    assert response.status_code == 400
    assert response.json() == error("validation_error", ANY, fields)
    alice.refresh_from_db()
    assert alice.is_active and alice.username == "alice"
    assert not AccountDeletion.objects.exists()
    assert alice_client.get(ME).status_code == 200


def test_unknown_fields_are_refused(alice_client):
    response = delete_me(alice_client, {"password": DEFAULT_PASSWORD, "reason": "bye"})
    assert response.status_code == 400
    assert response.json() == error("validation_error", ANY, {"reason": ["Unknown field."]})


def test_anonymous_is_401(api_client):
    assert api_client.delete(ME, {"password": "x"}).status_code == 401


def test_password_attempts_share_the_login_throttle(alice, alice_client, settings):
    set_throttle_rates(settings, login_account="2/hour", login="100/min")

    assert delete_me(alice_client, {"password": "wrong-1"}).status_code == 400
    assert delete_me(alice_client, {"password": "wrong-2"}).status_code == 400
    response = delete_me(alice_client)  # even the right one, over the rate

    assert response.status_code == 429
    assert response.json() == error("throttled", ANY)
    assert "Retry-After" in response
    assert User.objects.get(pk=alice.pk).is_active


# --- Facebook-only accounts --------------------------------------------------------------


def facebook_user(fake_graph, capture, token: str = "alice"):
    client = APIClient()
    with capture(execute=True):
        body = fb_login(client, token).json()
    user = User.objects.get(pk=body["user"]["id"])
    return authenticate(APIClient(), user), user


def test_a_facebook_only_account_proves_itself_with_a_fresh_token(
    fake_graph, django_capture_on_commit_callbacks
):
    client, user = facebook_user(fake_graph, django_capture_on_commit_callbacks)
    _, bob = facebook_user(fake_graph, django_capture_on_commit_callbacks, "bob")
    assert not user.has_usable_password()
    assert FacebookFriend.objects.filter(facebook_id="10001").exists()  # in bob's list

    with django_capture_on_commit_callbacks(execute=True):
        response = delete_me(client, {"access_token": "alice"})

    assert response.status_code == 202
    assert fake_graph.calls("/debug_token")
    assert not FacebookAccount.objects.filter(user=user).exists()
    assert not FacebookFriend.objects.filter(facebook_id="10001").exists()
    assert FacebookAccount.objects.filter(user=bob).exists()
    assert AccountDeletion.objects.get(user=user).status == AccountDeletion.DONE


def test_a_facebook_only_account_needs_its_own_token(
    fake_graph, django_capture_on_commit_callbacks
):
    client, user = facebook_user(fake_graph, django_capture_on_commit_callbacks)

    missing = delete_me(client, {"password": "anything"})
    someone_else = delete_me(client, {"access_token": "bob"})
    expired = delete_me(client, {"access_token": "expired"})

    assert missing.status_code == 400
    assert missing.json() == error("validation_error", ANY, {"access_token": ANY})
    assert someone_else.status_code == 400
    assert someone_else.json() == error("validation_error", ANY, {"access_token": ANY})
    assert expired.status_code == 400
    assert expired.json() == error("facebook_token_invalid", ANY)
    assert User.objects.get(pk=user.pk).is_active
