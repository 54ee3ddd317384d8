"""Notifications over REST: one row per action for the right recipient, never for one's own
actions or a repeated toggle, none for a rolled-back action; list, unread count, mark read.

Notifications are stored in the action's transaction; the push waits for the commit, so
tests that look at events run the action inside `django_capture_on_commit_callbacks`.
"""

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from notifications.models import Notification
from tests.conftest import authenticate
from tests.factories import FriendshipFactory, TweetFactory, UserFactory
from tests.notifications.actions import ACTIONS, like_tweet
from tests.shapes import ANY, error, iso, page_link, summary_json
from tests.streams import StreamListener
from tweets import services as tweet_services

LIST = "/api/v1/notifications/"
UNREAD_COUNT = "/api/v1/notifications/unread-count/"
MARK_ALL_READ = "/api/v1/notifications/mark-all-read/"


def notification_json(notification, **overrides) -> dict:
    notification.refresh_from_db()
    body = {
        "id": notification.pk,
        "verb": notification.verb,
        "actor": summary_json(notification.actor),
        "tweet": (
            {"id": notification.tweet.pk, "text": notification.tweet.text}
            if notification.tweet
            else None
        ),
        "comment": (
            {"id": notification.comment.pk, "text": notification.comment.text}
            if notification.comment
            else None
        ),
        "report": None,
        "unread": notification.unread,
        "created_at": iso(notification.created_at),
    }
    return {**body, **overrides}


@pytest.mark.parametrize(("verb", "action"), ACTIONS, ids=[verb for verb, _ in ACTIONS])
def test_each_action_notifies_its_recipient_exactly_once(
    verb, action, alice, bob, alice_client, bob_client
):
    tweet, comment_ = action(bob_client, alice, bob)

    rows = list(Notification.objects.filter(recipient=alice))
    assert len(rows) == 1
    notification = rows[0]
    assert (notification.verb, notification.actor_id) == (verb, bob.pk)
    assert notification.tweet == tweet
    assert notification.comment == comment_
    assert not Notification.objects.filter(recipient=bob, actor=bob).exists()

    response = alice_client.get(LIST)
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "id": notification.pk,
                "verb": verb,
                "actor": summary_json(bob),
                "tweet": {"id": tweet.pk, "text": tweet.text} if tweet else None,
                "comment": {"id": comment_.pk, "text": comment_.text} if comment_ else None,
                "report": None,
                "unread": True,
                "created_at": iso(notification.created_at),
            }
        ],
        "next": None,
        "previous": page_link(LIST, notification.pk, reverse=True),
    }


@pytest.mark.parametrize(("verb", "action"), ACTIONS, ids=[verb for verb, _ in ACTIONS])
def test_each_action_pushes_the_notification_after_commit(
    verb, action, alice, bob, bob_client, django_capture_on_commit_callbacks
):
    listener = StreamListener(alice.pk)
    with django_capture_on_commit_callbacks(execute=True):
        action(bob_client, alice, bob)

    notification = Notification.objects.get(recipient=alice)
    events = [event for event in listener.events() if event["type"] == "notification"]
    assert events == [
        {
            "type": "notification",
            "notification": notification_json(notification),
            "unread_count": 1,
        }
    ]


def test_own_actions_notify_nobody(alice, alice_client):
    tweet = TweetFactory(user=alice)
    assert alice_client.post(f"/api/v1/tweets/{tweet.pk}/like/").status_code == 200
    assert alice_client.post(f"/api/v1/tweets/{tweet.pk}/retweet/").status_code == 200
    response = alice_client.post(f"/api/v1/tweets/{tweet.pk}/comments/", {"text": "me again"})
    assert response.status_code == 201
    assert alice_client.post(f"/api/v1/comments/{response.json()['id']}/like/").status_code == 200
    assert alice_client.post("/api/v1/tweets/", {"text": "talking to @alice"}).status_code == 201

    assert Notification.objects.count() == 0
    assert alice_client.get(UNREAD_COUNT).json() == {"unread_count": 0}


def test_like_unlike_like_notifies_once(alice, bob_client):
    tweet = TweetFactory(user=alice)
    url = f"/api/v1/tweets/{tweet.pk}/like/"
    assert bob_client.post(url).status_code == 200
    assert bob_client.delete(url).status_code == 200
    assert bob_client.post(url).status_code == 200
    assert bob_client.post(url).status_code == 200

    assert Notification.objects.filter(recipient=alice, verb="liked_tweet").count() == 1


def test_follow_unfollow_follow_notifies_once(alice, bob_client):
    url = "/api/v1/users/alice/follow/"
    for method in ("post", "delete", "post"):
        assert getattr(bob_client, method)(url).status_code == 200

    assert Notification.objects.filter(recipient=alice, verb="followed").count() == 1


def test_every_comment_notifies(alice, bob_client):
    tweet = TweetFactory(user=alice)
    for text in ("one", "two"):
        url = f"/api/v1/tweets/{tweet.pk}/comments/"
        assert bob_client.post(url, {"text": text}).status_code == 201

    assert Notification.objects.filter(recipient=alice, verb="commented").count() == 2


def test_rolled_back_like_leaves_no_notification_and_no_event(
    alice, bob, django_capture_on_commit_callbacks
):
    tweet = TweetFactory(user=alice)
    listener = StreamListener(alice.pk)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        tweet_services.like_tweet(user=bob, tweet_id=tweet.pk)
        assert Notification.objects.filter(recipient=alice).count() == 1
        raise RuntimeError("the request failed after the like")

    assert callbacks == []
    assert Notification.objects.count() == 0
    assert listener.events() == []
    # The rollback also freed the dedupe key: a real like later is notified.
    with django_capture_on_commit_callbacks(execute=True):
        tweet_services.like_tweet(user=bob, tweet_id=tweet.pk)
    assert Notification.objects.filter(recipient=alice).count() == 1
    assert [event["type"] for event in listener.events()] == ["notification"]


def test_no_event_before_commit(alice, bob, django_capture_on_commit_callbacks):
    tweet = TweetFactory(user=alice)
    listener = StreamListener(alice.pk)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tweet_services.like_tweet(user=bob, tweet_id=tweet.pk)
    assert listener.events() == []

    for callback in callbacks:
        callback()
    assert [event["type"] for event in listener.events()] == ["notification"]


def test_events_go_to_the_recipient_only(
    alice, bob, bob_client, django_capture_on_commit_callbacks
):
    carol = UserFactory()
    bob_listener, carol_listener = StreamListener(bob.pk), StreamListener(carol.pk)
    with django_capture_on_commit_callbacks(execute=True):
        like_tweet(bob_client, alice, bob)

    assert bob_listener.events() == []
    assert carol_listener.events() == []


# --- list, unread count, mark read ---------------------------------------------------------


def three_notifications(alice):
    """Three users follow Alice, in order: three notifications, the last one newest."""
    for _ in range(3):
        FriendshipFactory(followee=alice)
    return list(Notification.objects.filter(recipient=alice).order_by("id"))


def test_list_is_newest_first_and_unread_filters(alice, alice_client):
    first, second, third = three_notifications(alice)
    Notification.objects.filter(pk=second.pk).update(unread=False)

    response = alice_client.get(LIST)
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [third.pk, second.pk, first.pk]

    response = alice_client.get(LIST, {"unread": "true"})
    assert response.status_code == 200
    assert response.json()["results"] == [notification_json(third), notification_json(first)]


def test_list_pages_with_next_links(alice, alice_client):
    first, second, third = three_notifications(alice)

    page = alice_client.get(LIST, {"page_size": 2}).json()
    assert [item["id"] for item in page["results"]] == [third.pk, second.pk]
    page = alice_client.get(page["next"]).json()
    assert [item["id"] for item in page["results"]] == [first.pk]
    assert page["next"] is None


def test_list_shows_only_my_notifications(alice, bob, bob_client):
    three_notifications(alice)

    response = bob_client.get(LIST)
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_unread_count(alice, alice_client):
    three_notifications(alice)

    response = alice_client.get(UNREAD_COUNT)
    assert response.status_code == 200
    assert response.json() == {"unread_count": 3}


def test_mark_one_read_and_unread(alice, alice_client):
    first, _, _ = three_notifications(alice)
    url = f"{LIST}{first.pk}/"

    response = alice_client.patch(url, {"unread": False}, format="json")
    assert response.status_code == 200
    assert response.json() == notification_json(first, unread=False)
    assert alice_client.get(UNREAD_COUNT).json() == {"unread_count": 2}
    assert [
        item["id"] for item in alice_client.get(LIST, {"unread": "true"}).json()["results"]
    ] == [n.pk for n in Notification.objects.filter(recipient=alice, unread=True).order_by("-id")]

    # Repeating is harmless; marking unread again moves the count back.
    assert alice_client.patch(url, {"unread": False}, format="json").status_code == 200
    assert alice_client.get(UNREAD_COUNT).json() == {"unread_count": 2}
    response = alice_client.patch(url, {"unread": True}, format="json")
    assert response.status_code == 200
    assert response.json()["unread"] is True
    assert alice_client.get(UNREAD_COUNT).json() == {"unread_count": 3}


def test_mark_another_users_notification_is_404(alice, bob_client):
    first, _, _ = three_notifications(alice)

    response = bob_client.patch(f"{LIST}{first.pk}/", {"unread": False}, format="json")
    assert response.status_code == 404
    assert response.json() == error("not_found")
    first.refresh_from_db()
    assert first.unread is True


def test_mark_missing_notification_is_404(alice_client):
    response = alice_client.patch(f"{LIST}999999/", {"unread": False}, format="json")
    assert response.status_code == 404
    assert response.json() == error("not_found")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "This field is required."),
        ({"unread": "maybe"}, "Must be a valid boolean."),
        ({"unread": None}, "This field may not be null."),
    ],
)
def test_mark_with_a_bad_body_is_400(alice, alice_client, body, message):
    first, _, _ = three_notifications(alice)

    response = alice_client.patch(f"{LIST}{first.pk}/", body, format="json")
    assert response.status_code == 400
    assert response.json() == error("validation_error", fields={"unread": [message]})


def test_mark_all_read(alice, alice_client):
    three_notifications(alice)

    response = alice_client.post(MARK_ALL_READ)
    assert response.status_code == 200
    assert response.json() == {"marked": 3}
    assert alice_client.get(UNREAD_COUNT).json() == {"unread_count": 0}
    assert alice_client.get(LIST, {"unread": "true"}).json()["results"] == []
    assert len(alice_client.get(LIST).json()["results"]) == 3
    assert alice_client.post(MARK_ALL_READ).json() == {"marked": 0}


def test_mark_all_read_leaves_other_users_alone(alice, bob, bob_client):
    three_notifications(alice)
    FriendshipFactory(followee=bob)

    assert bob_client.post(MARK_ALL_READ).json() == {"marked": 1}
    assert Notification.objects.filter(recipient=alice, unread=True).count() == 3


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", LIST),
        ("get", UNREAD_COUNT),
        ("patch", f"{LIST}1/"),
        ("post", MARK_ALL_READ),
    ],
)
def test_unauthenticated_is_401(api_client, db, method, url):
    response = getattr(api_client, method)(url)
    assert response.status_code == 401
    assert response.json() == error("not_authenticated")


@pytest.mark.parametrize("page_size", [1, 20])
def test_list_query_count_does_not_grow_with_the_page(alice, django_assert_num_queries, page_size):
    """One query authenticates the caller, one reads the page (actor, tweet and comment
    joined)."""
    tweet = TweetFactory(user=alice)
    for _ in range(20):
        actor = UserFactory()
        tweet_services.like_tweet(user=actor, tweet_id=tweet.pk)
        tweet_services.create_comment(author=actor, tweet_id=tweet.pk, text="hi")
    client = authenticate(APIClient(), alice)

    with django_assert_num_queries(2):
        response = client.get(LIST, {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size


# --- ?verb= --------------------------------------------------------------------------------


def mixed_notifications(alice) -> dict[str, list]:
    """Alice is followed, liked and mentioned, interleaved: {verb: notifications, oldest
    first}."""
    tweet = TweetFactory(user=alice)
    for _ in range(2):
        FriendshipFactory(followee=alice)
        tweet_services.like_tweet(user=UserFactory(), tweet_id=tweet.pk)
        tweet_services.create_tweet(author=UserFactory(), text="hi @alice")
    by_verb: dict[str, list] = {}
    for notification in Notification.objects.filter(recipient=alice).order_by("id"):
        by_verb.setdefault(notification.verb, []).append(notification)
    assert {verb: len(items) for verb, items in by_verb.items()} == {
        "followed": 2,
        "liked_tweet": 2,
        "mentioned": 2,
    }
    return by_verb


def newest_first(*groups: list) -> list[int]:
    return sorted((n.pk for group in groups for n in group), reverse=True)


def test_list_filters_by_verbs_comma_separated(alice, alice_client):
    by_verb = mixed_notifications(alice)

    response = alice_client.get(LIST, {"verb": "mentioned,liked_tweet"})

    assert response.status_code == 200
    ids = [item["id"] for item in response.json()["results"]]
    assert ids == newest_first(by_verb["mentioned"], by_verb["liked_tweet"])
    assert response.json()["results"][0] == notification_json(Notification.objects.get(pk=ids[0]))


def test_list_filters_by_one_verb_or_the_parameter_repeated(alice, alice_client):
    by_verb = mixed_notifications(alice)

    response = alice_client.get(LIST, {"verb": "followed"})
    assert [item["id"] for item in response.json()["results"]] == newest_first(by_verb["followed"])

    response = alice_client.get(f"{LIST}?verb=followed&verb=mentioned")
    assert [item["id"] for item in response.json()["results"]] == newest_first(
        by_verb["followed"], by_verb["mentioned"]
    )


def test_verb_filter_combines_with_unread_and_pages(alice, alice_client):
    by_verb = mixed_notifications(alice)
    newest_mention = by_verb["mentioned"][-1]
    Notification.objects.filter(pk=newest_mention.pk).update(unread=False)

    response = alice_client.get(LIST, {"verb": "mentioned", "unread": "true"})
    assert [item["id"] for item in response.json()["results"]] == [by_verb["mentioned"][0].pk]

    page = alice_client.get(LIST, {"verb": "liked_tweet,followed", "page_size": 3}).json()
    rest = alice_client.get(page["next"]).json()
    ids = [item["id"] for item in page["results"] + rest["results"]]
    assert ids == newest_first(by_verb["liked_tweet"], by_verb["followed"])
    assert rest["next"] is None


def test_verb_filter_with_a_known_verb_nobody_sent_is_empty(alice, alice_client):
    mixed_notifications(alice)

    response = alice_client.get(LIST, {"verb": "message"})

    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("value", ["liked", "mentioned,nonsense", "MENTIONED"])
def test_unknown_verb_is_400(alice, alice_client, value):
    response = alice_client.get(LIST, {"verb": value})

    assert response.status_code == 400
    assert response.json() == error("validation_error", fields={"verb": [ANY]})
    assert "Unknown verb" in response.json()["fields"]["verb"][0]


@pytest.mark.parametrize("page_size", [1, 20])
def test_verb_filtered_list_costs_the_same_queries(alice, django_assert_num_queries, page_size):
    """As the unfiltered list: the caller, then the page (the filter is in its query)."""
    tweet = TweetFactory(user=alice)
    for _ in range(20):
        actor = UserFactory()
        tweet_services.like_tweet(user=actor, tweet_id=tweet.pk)
        tweet_services.create_comment(author=actor, tweet_id=tweet.pk, text="hi @alice")
        FriendshipFactory(followee=alice, follower=actor)
    client = authenticate(APIClient(), alice)

    with django_assert_num_queries(2):
        response = client.get(LIST, {"page_size": page_size, "verb": "liked_tweet,commented"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    assert {item["verb"] for item in response.json()["results"]} <= {"liked_tweet", "commented"}
