"""Replies and threads (docs/api.md "Threads, quotes, edits, bookmarks, pins";
docs/threads.md): a reply is a tweet with `in_reply_to_id`, `conversation_id` groups its
thread, `replies_count` stays exact, `context` and `replies` read a thread, the replied-to
author is notified, and followers' feeds show replies to people they follow."""

import pytest
from django.conf import settings
from django.db import transaction
from rest_framework.test import APIClient

from friendships.models import Friendship
from notifications.models import Notification
from tests.conftest import authenticate
from tests.factories import FriendshipFactory, RetweetFactory, TweetFactory, UserFactory
from tests.newsfeeds.conftest import FEED, feed_ids
from tests.safety.conftest import block, mute
from tests.shapes import as_listed, detail_json, error, page_link, tweet_json
from tweets import selectors, services
from tweets.models import Tweet

pytestmark = pytest.mark.django_db


def reply(client, tweet, text="a reply", **body):
    return client.post(
        "/api/v1/tweets/", {"text": text, "in_reply_to_id": tweet.pk, **body}, format="json"
    )


def context(client, tweet):
    response = client.get(f"/api/v1/tweets/{tweet.pk}/context/")
    assert response.status_code == 200, response.json()
    body = response.json()
    return [t["id"] for t in body["ancestors"]], [t["id"] for t in body["descendants"]]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): ...` runs the block's on-commit callbacks (fan-out, cache)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def chain(user, length: int) -> list[Tweet]:
    """`length` tweets of the user, each replying to the one before."""
    tweets = [TweetFactory(user=user)]
    for n in range(length - 1):
        tweets.append(
            services.create_tweet(author=user, text=f"r{n}", in_reply_to_id=tweets[-1].pk)
        )
    return tweets


# --- posting a reply ---------------------------------------------------------------------


def test_reply_answers_201_with_its_thread_and_counts_on_its_parent(alice, bob, bob_client):
    root = TweetFactory(user=alice, text="root")

    response = reply(bob_client, root)

    assert response.status_code == 201
    answer = Tweet.objects.get(pk=response.json()["id"])
    assert response.json() == tweet_json(answer, in_reply_to_id=root.pk, conversation_id=root.pk)
    root.refresh_from_db()
    assert root.replies_count == 1
    assert bob_client.get(f"/api/v1/tweets/{root.pk}/").json() == detail_json(root)
    assert tweet_json(root)["replies_count"] == 1
    assert tweet_json(root)["conversation_id"] == root.pk


def test_a_reply_to_a_reply_keeps_the_root_as_conversation(alice, bob_client):
    root = TweetFactory(user=alice)
    first = reply(bob_client, root).json()

    second = bob_client.post(
        "/api/v1/tweets/", {"text": "deeper", "in_reply_to_id": first["id"]}, format="json"
    ).json()

    assert (second["in_reply_to_id"], second["conversation_id"]) == (first["id"], root.pk)


def test_a_reply_to_a_retweet_replies_to_its_original(alice, bob, bob_client):
    original = TweetFactory(user=alice)
    retweet = RetweetFactory(user=bob, retweet_of=original)

    response = reply(bob_client, retweet)

    assert response.json()["in_reply_to_id"] == original.pk
    original.refresh_from_db()
    retweet.refresh_from_db()
    assert (original.replies_count, retweet.replies_count) == (1, 0)


def test_reply_to_a_missing_tweet_is_404(bob_client):
    response = bob_client.post(
        "/api/v1/tweets/", {"text": "hi", "in_reply_to_id": 999999}, format="json"
    )

    assert response.status_code == 404
    assert response.json() == error("not_found")
    assert not Tweet.objects.exists()


@pytest.mark.parametrize("value", [0, -1, "abc", 2**63, None])
def test_reply_to_a_bad_id_is_400(bob_client, value):
    response = bob_client.post(
        "/api/v1/tweets/", {"text": "hi", "in_reply_to_id": value}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["in_reply_to_id"]


def test_reply_to_a_protected_tweet_is_404_for_a_non_follower_and_201_for_a_follower(
    alice, bob, bob_client, make_auth_client
):
    alice.is_protected = True
    alice.save(update_fields=["is_protected"])
    secret = TweetFactory(user=alice)

    response = reply(bob_client, secret)

    assert response.status_code == 404
    assert response.json() == error("not_found")
    follower = UserFactory()
    Friendship.objects.create(follower=follower, followee=alice)  # an accepted follow
    assert reply(make_auth_client(follower), secret).status_code == 201


@pytest.mark.parametrize("who_blocks", ["author", "replier"])
def test_reply_between_blocked_users_is_403_blocked(
    alice, bob, alice_client, bob_client, who_blocks
):
    tweet = TweetFactory(user=alice)
    if who_blocks == "author":
        block(alice_client, bob)
    else:
        block(bob_client, alice)

    response = reply(bob_client, tweet)

    assert response.status_code == 403
    assert response.json() == error("blocked")
    tweet.refresh_from_db()
    assert tweet.replies_count == 0


# --- counters on delete ------------------------------------------------------------------


def test_deleting_a_reply_corrects_replies_count(alice, bob_client):
    root = TweetFactory(user=alice)
    first, second = reply(bob_client, root).json(), reply(bob_client, root).json()

    assert bob_client.delete(f"/api/v1/tweets/{first['id']}/").status_code == 204

    root.refresh_from_db()
    assert root.replies_count == 1 == Tweet.objects.filter(in_reply_to=root).count()
    assert [
        t["id"] for t in bob_client.get(f"/api/v1/tweets/{root.pk}/replies/").json()["results"]
    ] == [second["id"]]


def test_deleting_a_tweet_keeps_its_replies_in_the_thread(alice, alice_client, bob):
    root = TweetFactory(user=alice)
    middle = services.create_tweet(author=bob, text="middle", in_reply_to_id=root.pk)
    leaf = services.create_tweet(author=bob, text="leaf", in_reply_to_id=middle.pk)

    assert APIClient().get(f"/api/v1/tweets/{middle.pk}/").status_code == 200
    services.delete_tweet(actor=bob, tweet_id=middle.pk)

    leaf.refresh_from_db()
    root.refresh_from_db()
    assert (leaf.in_reply_to_id, leaf.conversation_id, root.replies_count) == (None, root.pk, 0)
    assert alice_client.get(f"/api/v1/tweets/{leaf.pk}/").json() == detail_json(
        leaf, in_reply_to_id=None, conversation_id=root.pk
    )
    assert context(alice_client, root) == ([], [leaf.pk])
    assert context(alice_client, leaf) == ([root.pk], [])


# --- context and replies -----------------------------------------------------------------


def test_context_lists_ancestors_root_first_and_descendants_in_thread_order(alice, bob):
    root = TweetFactory(user=alice)
    a = services.create_tweet(author=bob, text="a", in_reply_to_id=root.pk)
    b = services.create_tweet(author=alice, text="b", in_reply_to_id=root.pk)
    a1 = services.create_tweet(author=alice, text="a1", in_reply_to_id=a.pk)
    a1x = services.create_tweet(author=bob, text="a1x", in_reply_to_id=a1.pk)
    a2 = services.create_tweet(author=bob, text="a2", in_reply_to_id=a.pk)
    b1 = services.create_tweet(author=bob, text="b1", in_reply_to_id=b.pk)
    client = APIClient()

    assert context(client, root) == ([], [a.pk, a1.pk, a1x.pk, a2.pk, b.pk, b1.pk])
    assert context(client, a) == ([root.pk], [a1.pk, a1x.pk, a2.pk])
    assert context(client, a1x) == ([root.pk, a.pk, a1.pk], [])
    body = client.get(f"/api/v1/tweets/{a1.pk}/context/").json()
    assert body["ancestors"][1] == tweet_json(a, in_reply_to_id=root.pk, conversation_id=root.pk)


def test_context_orders_ids_of_different_lengths_numerically(alice):
    root = TweetFactory(user=alice)
    # Ids of 2 and 3 digits: thread order is numeric, not the strings' order.
    first = Tweet.objects.create(
        id=99, user=alice, text="x", in_reply_to=root, conversation_id=root.pk
    )
    second = Tweet.objects.create(
        id=100, user=alice, text="y", in_reply_to=root, conversation_id=root.pk
    )
    for tweet in (first, second):
        tweet.thread_path = root.path + f"{len(str(tweet.pk)):02d}{tweet.pk}"
        tweet.save(update_fields=["thread_path"])

    assert context(APIClient(), root) == ([], [99, 100])


def test_context_of_a_retweet_is_its_originals(alice, bob):
    root = TweetFactory(user=alice)
    answer = services.create_tweet(author=bob, text="x", in_reply_to_id=root.pk)
    retweet = RetweetFactory(user=bob, retweet_of=root)

    assert context(APIClient(), retweet) == ([], [answer.pk])


def test_context_descendants_are_capped(alice, monkeypatch):
    monkeypatch.setattr(selectors, "CONTEXT_DESCENDANTS", 3)
    root = TweetFactory(user=alice)
    replies = [
        services.create_tweet(author=alice, text=f"{n}", in_reply_to_id=root.pk) for n in range(5)
    ]

    assert context(APIClient(), root) == ([], [t.pk for t in replies[:3]])


def test_context_cap_is_200():
    assert selectors.CONTEXT_DESCENDANTS == 200


def test_context_leaves_out_what_the_viewer_may_not_see(alice, bob, bob_client):
    carol = UserFactory()
    carol.is_protected = True
    carol.save(update_fields=["is_protected"])
    root = TweetFactory(user=alice)
    by_bob = services.create_tweet(author=bob, text="bob", in_reply_to_id=root.pk)
    by_carol = services.create_tweet(author=carol, text="carol", in_reply_to_id=root.pk)
    viewer = UserFactory()
    viewer_client = authenticate(APIClient(), viewer)
    block(viewer_client, bob)

    assert context(viewer_client, root) == ([], [])
    assert context(APIClient(), root) == ([], [by_bob.pk])
    assert context(authenticate(APIClient(), carol), root) == ([], [by_bob.pk, by_carol.pk])
    response = viewer_client.get(f"/api/v1/tweets/{by_carol.pk}/context/")
    assert response.status_code == 404
    assert viewer_client.get(f"/api/v1/tweets/{by_bob.pk}/context/").json() == error("blocked")


def test_context_of_a_missing_tweet_is_404():
    response = APIClient().get("/api/v1/tweets/999999/context/")

    assert response.status_code == 404
    assert response.json() == error("not_found")


@pytest.mark.parametrize("signed_in", [False, True])
def test_context_of_a_50_reply_chain_costs_a_fixed_number_of_queries(
    alice, bob, signed_in, django_assert_num_queries
):
    tweets = chain(alice, 51)
    client = authenticate(APIClient(), bob) if signed_in else APIClient()
    # The tweet, its ancestors, its descendants; photos, hashtags, mentions; signed in:
    # the JWT's user, the viewer's likes, retweets and bookmarks (one query).
    expected = 8 if signed_in else 6

    for tweet in (tweets[1], tweets[25], tweets[50]):
        with django_assert_num_queries(expected):
            response = client.get(f"/api/v1/tweets/{tweet.pk}/context/")
        body = response.json()
        assert len(body["ancestors"]) + len(body["descendants"]) == 50
    with django_assert_num_queries(expected - 1):  # a root has no ancestors to read
        response = client.get(f"/api/v1/tweets/{tweets[0].pk}/context/")
    assert [t["id"] for t in response.json()["descendants"]] == [t.pk for t in tweets[1:]]
    assert response.json()["descendants"][-1]["in_reply_to_id"] == tweets[49].pk


def test_replies_lists_direct_replies_oldest_first_paginated(alice, bob, bob_client):
    root = TweetFactory(user=alice)
    first = services.create_tweet(author=bob, text="1", in_reply_to_id=root.pk)
    services.create_tweet(author=alice, text="deeper", in_reply_to_id=first.pk)
    second = services.create_tweet(author=alice, text="2", in_reply_to_id=root.pk)
    path = f"/api/v1/tweets/{root.pk}/replies/"

    response = APIClient().get(path, {"page_size": 1})

    assert response.status_code == 200
    first.refresh_from_db()
    assert response.json() == {
        "results": [tweet_json(first, in_reply_to_id=root.pk, replies_count=1)],
        "next": page_link(path, first.pk, page_size=1),
        "previous": page_link(path, first.pk, reverse=True, page_size=1),
    }
    assert [t["id"] for t in APIClient().get(response.json()["next"]).json()["results"]] == [
        second.pk
    ]


def test_replies_of_a_hidden_tweet_are_404_and_hide_blocked_users(alice, bob, bob_client):
    alice.is_protected = True
    alice.save(update_fields=["is_protected"])
    secret = TweetFactory(user=alice)
    assert bob_client.get(f"/api/v1/tweets/{secret.pk}/replies/").json() == error("not_found")

    root = TweetFactory(user=bob)
    carol = UserFactory()
    services.create_tweet(author=carol, text="x", in_reply_to_id=root.pk)
    block(bob_client, carol)

    assert bob_client.get(f"/api/v1/tweets/{root.pk}/replies/").json()["results"] == []


@pytest.mark.parametrize("signed_in", [False, True])
def test_replies_cost_a_fixed_number_of_queries(alice, bob, signed_in, django_assert_num_queries):
    root = TweetFactory(user=alice)
    for n in range(21):
        services.create_tweet(
            author=bob, text=f"#tag @{alice.username} {n}", in_reply_to_id=root.pk
        )
    client = authenticate(APIClient(), bob) if signed_in else APIClient()
    path = f"/api/v1/tweets/{root.pk}/replies/"

    client.get(path, {"page_size": 20})  # renders the replies into the tweet cache
    for size in (1, 20):
        # The tweet, the page's ids, their rendering (tweets.payloads: fresh fields and the
        # viewer's flags; without Redis also the photos, hashtags and mentions); signed in:
        # the JWT's user.
        expected = 3 + (1 if signed_in else 0) + (0 if settings.REDIS_URL else 1)
        with django_assert_num_queries(expected):
            assert len(client.get(path, {"page_size": size}).json()["results"]) == size


# --- notifications -----------------------------------------------------------------------


def replied_notifications(user):
    return list(Notification.objects.filter(recipient=user, verb="replied"))


def test_the_replied_to_author_is_notified_once(alice, bob, alice_client, bob_client):
    root = TweetFactory(user=alice)

    answer = reply(bob_client, root, text=f"hey @{alice.username}").json()

    notifications = alice_client.get("/api/v1/notifications/").json()["results"]
    assert [(n["verb"], n["tweet"]) for n in notifications] == [
        ("replied", {"id": answer["id"], "text": answer["text"]})
    ]
    assert notifications[0]["actor"]["id"] == bob.pk


def test_replying_to_oneself_notifies_nobody(alice, alice_client):
    root = TweetFactory(user=alice)

    reply(alice_client, root)

    assert not Notification.objects.exists()


def test_replied_respects_mutes_and_settings(alice, bob, alice_client, bob_client):
    root = TweetFactory(user=alice)
    mute(alice_client, bob)
    reply(bob_client, root)
    assert replied_notifications(alice) == []

    mute(alice_client, bob, method="delete")
    alice_client.patch("/api/v1/me/notification-settings/", {"replied": False}, format="json")
    reply(bob_client, root)
    assert replied_notifications(alice) == []

    alice_client.patch("/api/v1/me/notification-settings/", {"replied": True}, format="json")
    reply(bob_client, root)
    assert len(replied_notifications(alice)) == 1


def test_a_protected_replier_notifies_only_a_follower(alice, bob):
    bob.is_protected = True
    bob.save(update_fields=["is_protected"])
    root = TweetFactory(user=alice)

    services.create_tweet(author=bob, text="psst", in_reply_to_id=root.pk)
    assert replied_notifications(alice) == []

    Friendship.objects.create(follower=alice, followee=bob)
    services.create_tweet(author=bob, text="psst", in_reply_to_id=root.pk)
    assert len(replied_notifications(alice)) == 1


def test_a_rolled_back_reply_leaves_no_notification_nor_count(
    alice, bob, django_capture_on_commit_callbacks
):
    root = TweetFactory(user=alice)

    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.create_tweet(author=bob, text="x", in_reply_to_id=root.pk)
        raise RuntimeError("rolled back")

    root.refresh_from_db()
    assert (root.replies_count, replied_notifications(alice), callbacks) == (0, [], [])
    assert not Tweet.objects.filter(in_reply_to=root).exists()


# --- feeds -------------------------------------------------------------------------------


def test_feed_shows_replies_to_people_the_reader_follows(committed, make_auth_client):
    reader, author, followed, stranger = UserFactory.create_batch(4)
    FriendshipFactory(follower=reader, followee=author)
    FriendshipFactory(follower=reader, followee=followed)
    to_followed, to_stranger, to_self, to_reader = (
        TweetFactory(user=followed),
        TweetFactory(user=stranger),
        TweetFactory(user=author),
        TweetFactory(user=reader),
    )
    with committed():
        shown = [
            services.create_tweet(author=author, text="a", in_reply_to_id=to_followed.pk),
            services.create_tweet(author=author, text="b", in_reply_to_id=to_self.pk),
            services.create_tweet(author=author, text="c", in_reply_to_id=to_reader.pk),
        ]
        hidden = services.create_tweet(author=author, text="d", in_reply_to_id=to_stranger.pk)
    client = make_auth_client(reader)

    feed = feed_ids(client)

    assert all(tweet.pk in feed for tweet in shown)
    assert hidden.pk not in feed
    assert hidden.pk in feed_ids(make_auth_client(author))  # the author's own feed has all


def test_following_brings_in_replies_as_fan_out_would(make_auth_client):
    reader, author, stranger = UserFactory.create_batch(3)
    own = TweetFactory(user=author)
    to_self = services.create_tweet(author=author, text="b", in_reply_to_id=own.pk)
    hidden = services.create_tweet(
        author=author, text="d", in_reply_to_id=TweetFactory(user=stranger).pk
    )

    FriendshipFactory(follower=reader, followee=author)

    feed = feed_ids(make_auth_client(reader))
    assert {own.pk, to_self.pk} <= set(feed)
    assert hidden.pk not in feed


def test_a_large_accounts_replies_are_pulled_as_fan_out_would(
    settings, committed, make_auth_client
):
    settings.NEWSFEED_CELEBRITY_THRESHOLD = 1
    reader, star, followed, stranger = UserFactory.create_batch(4)
    FriendshipFactory(follower=reader, followee=star)
    FriendshipFactory(follower=reader, followee=followed)
    with committed():
        shown = services.create_tweet(
            author=star, text="a", in_reply_to_id=TweetFactory(user=followed).pk
        )
        hidden = services.create_tweet(
            author=star, text="b", in_reply_to_id=TweetFactory(user=stranger).pk
        )

    feed = feed_ids(make_auth_client(reader))
    assert shown.pk in feed
    assert hidden.pk not in feed


def test_feed_items_carry_the_thread_fields(committed, make_auth_client):
    reader, author = UserFactory.create_batch(2)
    FriendshipFactory(follower=reader, followee=author)
    with committed():
        root = TweetFactory(user=author)
        answer = services.create_tweet(author=author, text="more", in_reply_to_id=root.pk)
    client = make_auth_client(reader)

    items = client.get(FEED).json()["results"]

    assert items[0] == as_listed(client.get(f"/api/v1/tweets/{answer.pk}/").json())
    assert (items[0]["in_reply_to_id"], items[0]["conversation_id"]) == (root.pk, root.pk)
    assert items[1]["replies_count"] == 1
    with committed():
        services.delete_tweet(actor=author, tweet_id=root.pk)
    assert [item["in_reply_to_id"] for item in client.get(FEED).json()["results"]] == [None]
