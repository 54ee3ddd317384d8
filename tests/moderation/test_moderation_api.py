"""Moderators' decisions (docs/safety.md "Reports and moderation"): hide content, suspend a
user, dismiss; each through moderation.services, with its audit row and the reporters'
`report_resolved` notification; and the leak matrix: hidden content and a suspended
user's content are absent from every list, and their details answer 404."""

import pytest
from rest_framework.test import APIClient

from moderation import services
from moderation.models import Case, ModerationAction, Report
from notifications.models import Notification, NotificationOptOut
from tests.factories import (
    CommentFactory,
    FriendshipFactory,
    RetweetFactory,
    TweetFactory,
    UserFactory,
)
from tests.moderation.conftest import case_of, report
from tests.shapes import error, iso
from tests.streams import StreamListener
from tweets import services as tweet_services

pytestmark = pytest.mark.django_db

API = "/api/v1"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["results"]]


@pytest.fixture
def moderator(db):
    return UserFactory(username="mod", is_staff=True)


@pytest.fixture
def carol(db):
    return UserFactory(username="carol")


@pytest.fixture
def carol_client(carol, make_auth_client):
    return make_auth_client(carol)


@pytest.fixture
def world(alice, bob, carol, committed):
    """bob's tweet (tagged, searchable) retweeted by carol, who follows bob and alice; bob's
    comment on and like of alice's tweet; bob follows alice."""
    with committed():
        FriendshipFactory(follower=carol, followee=bob)
        FriendshipFactory(follower=carol, followee=alice)
        FriendshipFactory(follower=bob, followee=alice)
        tweet = TweetFactory(user=bob, text="#topic searchword from bob")
        other = TweetFactory(user=alice, text="#topic searchword from alice")
        retweet = RetweetFactory(user=carol, retweet_of=tweet)
        comment = CommentFactory(tweet=other, user=bob, text="rude searchword")
        tweet_services.like_tweet(user=bob, tweet_id=other.pk)
    return {"tweet": tweet, "other": other, "retweet": retweet, "comment": comment}


def lists(world) -> dict[str, str]:
    """Every list a tweet, comment, like or follow of bob's shows in."""
    other = world["other"].pk
    return {
        "newsfeed": f"{API}/newsfeed/",
        "user tweets (carol)": f"{API}/users/carol/tweets/",
        "search": f"{API}/tweets/?q=searchword",
        "hashtag": f"{API}/tweets/?hashtag=topic",
        "comments": f"{API}/tweets/{other}/comments/",
        "likes": f"{API}/tweets/{other}/likes/",
        "followers": f"{API}/users/alice/followers/",
        "user search": f"{API}/users/?search=b",
    }


# --- hide --------------------------------------------------------------------------------


def test_hiding_a_tweet_removes_it_and_its_retweets_everywhere(
    world, alice_client, bob_client, carol_client, moderator, committed, api_client
):
    tweet, retweet = world["tweet"], world["retweet"]
    report(alice_client, "tweet", tweet)
    assert {tweet.pk, retweet.pk} <= set(ids(carol_client.get(f"{API}/newsfeed/")))

    with committed():
        services.hide_content(moderator=moderator, case_id=case_of("tweet", tweet).pk)

    for client in (carol_client, bob_client, api_client):  # the author included
        for path in ("", "comments/", "likes/"):
            response = client.get(f"{API}/tweets/{tweet.pk}/{path}")
            assert response.status_code == 404, path
            assert response.json() == error("not_found", "No tweet with that id.")
        assert client.get(f"{API}/tweets/{retweet.pk}/").status_code == 404
    assert carol_client.post(f"{API}/tweets/{tweet.pk}/like/").status_code == 404
    assert carol_client.post(f"{API}/tweets/{tweet.pk}/retweet/").status_code == 404
    assert carol_client.post(f"{API}/tweets/{tweet.pk}/comments/", {"text": "x"}).status_code == 404
    for name, path in lists(world).items():
        if name in ("likes", "comments", "followers", "user search"):
            continue
        shown = ids(carol_client.get(path))
        assert tweet.pk not in shown and retweet.pk not in shown, name
        assert world["other"].pk in shown or name == "user tweets (carol)", name
    assert ids(carol_client.get(f"{API}/users/bob/tweets/")) == []


def test_a_hidden_tweet_leaves_the_cached_feed_and_the_table(
    world, alice_client, carol_client, moderator, committed
):
    from newsfeeds.models import NewsFeed

    tweet = world["tweet"]
    carol_client.get(f"{API}/newsfeed/")  # builds carol's cached feed
    report(alice_client, "tweet", tweet)

    with committed():
        services.hide_content(moderator=moderator, case_id=case_of("tweet", tweet).pk)

    assert not NewsFeed.objects.filter(tweet_id__in=[tweet.pk, world["retweet"].pk]).exists()
    first = carol_client.get(f"{API}/newsfeed/", {"page_size": 1})
    assert ids(first) == [world["other"].pk]


def test_hiding_a_comment_removes_it_from_its_tweet(
    world, alice_client, carol_client, moderator, committed
):
    comment, other = world["comment"], world["other"]
    report(alice_client, "comment", comment, reason="abuse")

    services.hide_content(moderator=moderator, case_id=case_of("comment", comment).pk)

    assert ids(carol_client.get(f"{API}/tweets/{other.pk}/comments/")) == []
    response = carol_client.post(f"{API}/comments/{comment.pk}/like/")
    assert response.status_code == 404
    assert response.json() == error("not_found", "No comment with that id.")


def test_hiding_a_message_removes_it_from_the_conversation(
    alice, alice_client, bob_client, message, moderator
):
    conversation = message.conversation_id
    report(alice_client, "message", message)

    services.hide_content(moderator=moderator, case_id=case_of("message", message).pk)

    for client in (alice_client, bob_client):
        assert ids(client.get(f"{API}/conversations/{conversation}/messages/")) == []
        listed = client.get(f"{API}/conversations/").json()["results"]
        assert listed[0]["last_message"] is None
        assert listed[0]["unread_count"] == 0


def test_a_user_case_cannot_be_hidden(alice_client, bob, moderator):
    report(alice_client, "user", bob)

    with pytest.raises(Exception) as caught:
        services.hide_content(moderator=moderator, case_id=case_of("user", bob).pk)

    assert caught.value.code == "not_content"
    assert Case.objects.get().status == "open"


# --- the decision's records --------------------------------------------------------------


def test_a_decision_resolves_the_case_and_its_reports_and_leaves_an_audit_row(
    world, alice, alice_client, carol_client, moderator
):
    tweet = world["tweet"]
    report(alice_client, "tweet", tweet, reason="spam")
    report(carol_client, "tweet", tweet, reason="abuse")
    case = case_of("tweet", tweet)

    audit = services.hide_content(moderator=moderator, case_id=case.pk)

    case.refresh_from_db()
    assert (case.status, case.resolved_at is not None) == ("actioned", True)
    assert set(Report.objects.values_list("status", flat=True)) == {"actioned"}
    row = ModerationAction.objects.get()
    assert row == audit
    assert (row.moderator, row.action, row.target_type, row.target_id, row.target_user) == (
        moderator,
        "hide",
        "tweet",
        tweet.pk,
        tweet.user,
    )
    assert set(row.reports.all()) == set(Report.objects.all())
    assert alice_client.get(f"{API}/reports/").json()["results"][0]["status"] == "actioned"


def test_a_resolved_case_cannot_be_decided_again(world, alice_client, moderator):
    report(alice_client, "tweet", world["tweet"])
    case = case_of("tweet", world["tweet"])
    services.dismiss_case(moderator=moderator, case_id=case.pk)

    for decide in (services.hide_content, services.suspend_user, services.dismiss_case):
        with pytest.raises(Exception) as caught:
            decide(moderator=moderator, case_id=case.pk)
        assert caught.value.code == "conflict"
    assert ModerationAction.objects.count() == 1


@pytest.mark.parametrize(
    ("decide", "status"),
    [(services.hide_content, "actioned"), (services.dismiss_case, "dismissed")],
)
def test_each_reporter_is_told_the_outcome_by_a_notification(
    world, alice, alice_client, carol, carol_client, moderator, committed, decide, status
):
    tweet = world["tweet"]
    report(alice_client, "tweet", tweet)
    report(carol_client, "tweet", tweet)
    listener = StreamListener(alice.pk)
    unread = alice_client.get(f"{API}/notifications/unread-count/").json()["unread_count"]

    with committed():
        decide(moderator=moderator, case_id=case_of("tweet", tweet).pk)

    mine = Report.objects.get(reporter=alice)
    notification = Notification.objects.get(recipient=alice, verb="report_resolved")
    body = {
        "id": notification.pk,
        "verb": "report_resolved",
        "actor": None,  # from Chirp: the moderator is not named
        "tweet": None,
        "comment": None,
        "report": {"id": mine.pk, "status": status},
        "unread": True,
        "created_at": iso(notification.created_at),
    }
    assert alice_client.get(f"{API}/notifications/").json()["results"][0] == body
    event = {"type": "notification", "notification": body, "unread_count": unread + 1}
    assert listener.events() == [event]
    assert Notification.objects.filter(recipient=carol, verb="report_resolved").count() == 1


def test_report_resolved_can_be_turned_off(world, alice, alice_client, moderator):
    response = alice_client.patch(
        f"{API}/me/notification-settings/", {"report_resolved": False}, format="json"
    )
    assert response.status_code == 200
    assert NotificationOptOut.objects.filter(user=alice, verb="report_resolved").exists()
    report(alice_client, "tweet", world["tweet"])

    services.dismiss_case(moderator=moderator, case_id=case_of("tweet", world["tweet"]).pk)

    assert not Notification.objects.filter(verb="report_resolved").exists()


def test_dismissing_changes_nothing_else(world, alice_client, carol_client, moderator):
    tweet = world["tweet"]
    report(alice_client, "tweet", tweet)

    services.dismiss_case(moderator=moderator, case_id=case_of("tweet", tweet).pk)

    assert carol_client.get(f"{API}/tweets/{tweet.pk}/").status_code == 200
    assert ModerationAction.objects.get().action == "dismiss"


# --- suspend -----------------------------------------------------------------------------


@pytest.fixture
def bob_tokens(bob):
    bob.set_password("correct horse battery")
    bob.save()
    response = APIClient().post(
        f"{API}/auth/login/", {"username": "bob", "password": "correct horse battery"}
    )
    assert response.status_code == 200
    return response.json()


def suspend_bob(alice_client, bob, moderator, committed, target_type="user", target=None):
    report(alice_client, target_type, target or bob, reason="abuse")
    with committed():
        return services.suspend_user(
            moderator=moderator, case_id=case_of(target_type, target or bob).pk
        )


def test_suspension_revokes_tokens_closes_sockets_and_refuses_login(
    world, bob, bob_tokens, alice_client, moderator, committed
):
    access = APIClient()
    access.credentials(HTTP_AUTHORIZATION=f"Bearer {bob_tokens['access']}")
    assert access.get(f"{API}/me/").status_code == 200
    listener = StreamListener(bob.pk)

    suspend_bob(alice_client, bob, moderator, committed)

    assert listener.events() == [{"type": "close"}]
    assert access.get(f"{API}/me/").status_code == 401
    refresh = APIClient().post(f"{API}/auth/token/refresh/", {"refresh": bob_tokens["refresh"]})
    assert refresh.status_code == 401
    login = APIClient().post(
        f"{API}/auth/login/", {"username": "bob", "password": "correct horse battery"}
    )
    assert login.status_code == 403
    assert login.json() == error("account_suspended", "This account is suspended.")
    wrong = APIClient().post(f"{API}/auth/login/", {"username": "bob", "password": "guess"})
    assert wrong.status_code == 401  # a wrong password is told nothing about the suspension
    assert wrong.json()["code"] == "authentication_failed"
    bob.refresh_from_db()
    assert (bob.is_active, bob.suspended_at is not None) == (False, True)


def test_a_suspended_users_content_leaves_every_list(
    world, alice, alice_client, bob, carol, carol_client, moderator, committed, api_client
):
    tweet, retweet, comment = world["tweet"], world["retweet"], world["comment"]
    before = {name: ids(carol_client.get(path)) for name, path in lists(world).items()}
    assert tweet.pk in before["newsfeed"] and retweet.pk in before["newsfeed"]
    assert comment.pk in before["comments"]
    assert before["likes"] == [bob.pk]
    assert bob.pk in before["followers"] and bob.pk in before["user search"]

    suspend_bob(alice_client, bob, moderator, committed)

    for client in (carol_client, api_client):
        assert client.get(f"{API}/users/bob/").status_code == 404
        assert client.get(f"{API}/users/bob/tweets/").status_code == 404
        assert client.get(f"{API}/tweets/{tweet.pk}/").status_code == 404
        assert client.get(f"{API}/tweets/{retweet.pk}/").status_code == 404
    after = {name: ids(carol_client.get(path)) for name, path in lists(world).items()}
    for name in ("newsfeed", "user tweets (carol)", "search", "hashtag"):
        assert tweet.pk not in after[name] and retweet.pk not in after[name], name
        assert world["other"].pk in after[name] or name == "user tweets (carol)", name
    assert after["comments"] == []
    assert after["likes"] == []  # bob's like of alice's tweet
    assert after["followers"] == [carol.pk]
    assert bob.pk not in after["user search"]


def test_a_suspended_users_notifications_leave_the_inbox(
    world, alice, alice_client, bob, moderator, committed
):
    verbs = {item["verb"] for item in alice_client.get(f"{API}/notifications/").json()["results"]}
    assert {"followed", "commented", "liked_tweet"} <= verbs
    before = alice_client.get(f"{API}/notifications/unread-count/").json()["unread_count"]

    suspend_bob(alice_client, bob, moderator, committed)

    results = alice_client.get(f"{API}/notifications/").json()["results"]
    # carol's follow stays; bob's follow, comment and like go.
    assert [(item["verb"], (item["actor"] or {}).get("username")) for item in results] == [
        ("report_resolved", None),
        ("followed", "carol"),
    ]
    count = alice_client.get(f"{API}/notifications/unread-count/").json()["unread_count"]
    assert (before, count) == (4, 2)


def test_suspending_from_a_content_report_suspends_its_author_and_resolves_every_case(
    world, alice_client, bob, carol_client, moderator, committed
):
    report(carol_client, "user", bob)
    report(carol_client, "comment", world["comment"])

    audits = suspend_bob(alice_client, bob, moderator, committed, "tweet", world["tweet"])

    bob.refresh_from_db()
    assert bob.suspended_at is not None
    assert sorted(audit.target_type for audit in audits) == ["comment", "tweet", "user"]
    assert {audit.action for audit in audits} == {"suspend"}
    assert set(Case.objects.values_list("status", flat=True)) == {"actioned"}
    assert set(Report.objects.values_list("status", flat=True)) == {"actioned"}


def test_a_suspended_user_is_404_to_report(alice_client, bob, carol_client, moderator, committed):
    suspend_bob(alice_client, bob, moderator, committed)

    response = report(carol_client, "user", bob)

    assert response.status_code == 404
    assert response.json() == error("not_found", "No user with that id.")


def test_a_fanout_queued_before_the_suspension_delivers_nothing(
    alice_client, bob, carol, moderator, committed, django_capture_on_commit_callbacks
):
    from newsfeeds import services as newsfeed_services
    from newsfeeds.models import NewsFeed

    FriendshipFactory(follower=carol, followee=bob)
    with django_capture_on_commit_callbacks(execute=False):  # the fan-out is not sent
        tweet = TweetFactory(user=bob, text="queued")

    suspend_bob(alice_client, bob, moderator, committed)
    for batch_id in newsfeed_services.dispatch_fanout(tweet_id=tweet.pk):
        newsfeed_services.deliver_batch(batch_id=batch_id)

    assert not NewsFeed.objects.filter(user=carol).exists()


# --- reversing a decision ----------------------------------------------------------------


def test_reversing_a_hide_shows_the_tweet_and_its_retweets_again(
    world, alice_client, carol_client, moderator, committed
):
    tweet, retweet = world["tweet"], world["retweet"]
    report(alice_client, "tweet", tweet)
    case = case_of("tweet", tweet)
    with committed():
        services.hide_content(moderator=moderator, case_id=case.pk)
    assert carol_client.get(f"{API}/tweets/{tweet.pk}/").status_code == 404

    with committed():
        audits = services.reverse_decision(moderator=moderator, case_id=case.pk)

    assert [(a.action, a.case_id, a.moderator) for a in audits] == [("reverse", case.pk, moderator)]
    assert carol_client.get(f"{API}/tweets/{tweet.pk}/").status_code == 200
    assert carol_client.get(f"{API}/tweets/{retweet.pk}/").status_code == 200
    for name in ("search", "hashtag"):
        assert tweet.pk in ids(carol_client.get(lists(world)[name])), name
    assert tweet.pk in ids(carol_client.get(f"{API}/users/bob/tweets/"))
    case.refresh_from_db()
    assert case.status == "actioned"  # decided; the audit trail ends with the reversal
    assert list(case.actions.order_by("id").values_list("action", flat=True)) == [
        "hide",
        "reverse",
    ]


def test_reversing_hides_of_comments_and_messages(
    world, alice, alice_client, bob_client, message, moderator
):
    comment, other = world["comment"], world["other"]
    report(alice_client, "comment", comment)
    report(alice_client, "message", message)
    for target_type, target in (("comment", comment), ("message", message)):
        case = case_of(target_type, target)
        services.hide_content(moderator=moderator, case_id=case.pk)
        services.reverse_decision(moderator=moderator, case_id=case.pk)

    assert ids(alice_client.get(f"{API}/tweets/{other.pk}/comments/")) == [comment.pk]
    conversation = message.conversation_id
    assert ids(bob_client.get(f"{API}/conversations/{conversation}/messages/")) == [message.pk]


def test_reversing_a_suspension_reinstates_the_user_on_every_case_it_resolved(
    world, alice_client, bob, bob_tokens, carol_client, moderator, committed
):
    report(carol_client, "comment", world["comment"])
    suspend_bob(alice_client, bob, moderator, committed)
    assert carol_client.get(f"{API}/users/bob/").status_code == 404

    with committed():
        audits = services.reverse_decision(moderator=moderator, case_id=case_of_any("user", bob))

    assert sorted(a.target_type for a in audits) == ["comment", "user"]
    assert {a.action for a in audits} == {"reverse"}
    bob.refresh_from_db()
    assert (bob.is_active, bob.suspended_at) == (True, None)
    login = APIClient().post(
        f"{API}/auth/login/", {"username": "bob", "password": "correct horse battery"}
    )
    assert login.status_code == 200, login.json()
    refresh = APIClient().post(f"{API}/auth/token/refresh/", {"refresh": bob_tokens["refresh"]})
    assert refresh.status_code == 401  # the sessions the suspension ended stay ended
    assert carol_client.get(f"{API}/users/bob/").status_code == 200
    assert world["tweet"].pk in ids(carol_client.get(lists(world)["search"]))
    assert world["comment"].pk in ids(carol_client.get(lists(world)["comments"]))


def case_of_any(target_type: str, target) -> int:
    return Case.objects.get(target_type=target_type, target_id=target.pk).pk


def test_only_a_hide_or_a_suspension_is_reversed_and_only_once(world, alice_client, bob, moderator):
    from core.exceptions import Conflict, NotFound

    report(alice_client, "tweet", world["tweet"])
    report(alice_client, "comment", world["comment"])
    tweet_case = case_of("tweet", world["tweet"]).pk
    comment_case = case_of("comment", world["comment"]).pk
    with pytest.raises(Conflict):  # still open
        services.reverse_decision(moderator=moderator, case_id=tweet_case)
    services.dismiss_case(moderator=moderator, case_id=comment_case)
    with pytest.raises(Conflict):  # dismissed: nothing to undo
        services.reverse_decision(moderator=moderator, case_id=comment_case)
    services.hide_content(moderator=moderator, case_id=tweet_case)
    services.reverse_decision(moderator=moderator, case_id=tweet_case)
    with pytest.raises(Conflict):  # already reversed
        services.reverse_decision(moderator=moderator, case_id=tweet_case)
    with pytest.raises(NotFound):
        services.reverse_decision(moderator=moderator, case_id=10**9)
    assert ModerationAction.objects.filter(action="reverse").count() == 1


def test_a_deleted_account_is_not_reinstated(alice_client, bob, moderator, committed):
    from accounts import services as account_services
    from core.exceptions import Conflict

    suspend_bob(alice_client, bob, moderator, committed)
    account_services.close_account(user=bob)

    with pytest.raises(Conflict):
        services.reverse_decision(moderator=moderator, case_id=case_of_any("user", bob))

    bob.refresh_from_db()
    assert bob.is_active is False
