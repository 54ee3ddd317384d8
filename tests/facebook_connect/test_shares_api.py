"""POST /tweets/{id}/share/facebook/ and GET /facebook/shares/{id}/: an outbox row worked by
a Celery task with retries, ending `done` or `failed`."""

from datetime import timedelta

import pytest
import time_machine
from celery.exceptions import Retry
from django.utils import timezone

from facebook_connect import tasks
from facebook_connect.models import FacebookShare
from tests.conftest import authenticate
from tests.facebook_connect.helpers import ME_FACEBOOK, assert_every_call_proved
from tests.factories import TweetFactory, UserFactory
from tests.shapes import ANY, error, iso

pytestmark = pytest.mark.django_db


def share_url(tweet_id: int) -> str:
    return f"/api/v1/tweets/{tweet_id}/share/facebook/"


def detail_url(share_id: int) -> str:
    return f"/api/v1/facebook/shares/{share_id}/"


@pytest.fixture
def connected_client(auth_client, fake_graph):
    response = auth_client.post(ME_FACEBOOK, {"access_token": "alice"}, format="json")
    assert response.status_code == 200
    return auth_client


@pytest.fixture
def tweet(user):
    return TweetFactory(user=user, text="Fresh bread at 7 #bakery")


def share(client, tweet_id: int, page_id: str = "9001", capture=None):
    if capture is None:
        return client.post(share_url(tweet_id), {"page_id": page_id}, format="json")
    with capture(execute=True):
        return client.post(share_url(tweet_id), {"page_id": page_id}, format="json")


def test_share_is_202_pending_then_done(
    connected_client, tweet, fake_graph, django_capture_on_commit_callbacks, settings
):
    settings.FRONTEND_URL = "https://chirp.example/"
    with django_capture_on_commit_callbacks() as callbacks:
        response = share(connected_client, tweet.pk)

    assert response.status_code == 202
    share_row = FacebookShare.objects.get()
    assert response.json() == {
        "id": share_row.pk,
        "status": "pending",
        "tweet_id": tweet.pk,
        "page_id": "9001",
        "facebook_post_id": "",
        "attempts": 0,
        "error": "",
        "created_at": iso(share_row.created_at),
        "completed_at": None,
    }
    assert len(callbacks) == 1

    callbacks[0]()  # the commit happens: the task runs (eagerly)

    body = connected_client.get(detail_url(share_row.pk)).json()
    assert (body["status"], body["attempts"], body["facebook_post_id"]) == ("done", 1, "9001_1")
    assert fake_graph.posts == [
        {
            "id": "9001_1",
            "page_id": "9001",
            "message": "Fresh bread at 7 #bakery",
            "link": f"https://chirp.example/tweets/{tweet.pk}/",
        }
    ]
    # The Page was published with the Page token, proved like every other call.
    assert fake_graph.calls("/9001/feed")[0].token.startswith("page-9001-")
    assert_every_call_proved(fake_graph)


def test_share_retries_until_done(
    connected_client, tweet, fake_graph, django_capture_on_commit_callbacks
):
    fake_graph.fail("POST", "/9001/feed", [500, 503])

    response = share(connected_client, tweet.pk, capture=django_capture_on_commit_callbacks)

    body = connected_client.get(detail_url(response.json()["id"])).json()
    assert (body["status"], body["attempts"]) == ("done", 3)
    # The client never retries a publish itself: one POST per attempt, one post made.
    assert len(fake_graph.calls("/9001/feed")) == 3
    assert len(fake_graph.posts) == 1


def test_share_retries_then_fails(
    connected_client, tweet, fake_graph, django_capture_on_commit_callbacks, settings
):
    settings.FACEBOOK_SHARE_MAX_ATTEMPTS = 3
    fake_graph.fail("POST", "/9001/feed", [500] * 10)

    response = share(connected_client, tweet.pk, capture=django_capture_on_commit_callbacks)

    body = connected_client.get(detail_url(response.json()["id"])).json()
    assert (body["status"], body["attempts"], body["error"]) == (
        "failed",
        3,
        "facebook_unavailable",
    )
    assert body["completed_at"] is not None
    assert len(fake_graph.calls("/9001/feed")) == 3
    assert fake_graph.posts == []


def test_rate_limited_share_is_retried(
    connected_client, tweet, fake_graph, django_capture_on_commit_callbacks
):
    fake_graph.fail("POST", "/9001/feed", [429])

    response = share(connected_client, tweet.pk, capture=django_capture_on_commit_callbacks)

    body = connected_client.get(detail_url(response.json()["id"])).json()
    assert (body["status"], body["attempts"]) == ("done", 2)


@pytest.mark.parametrize(
    ("page_id", "reason"), [("123456", "page_not_managed"), ("9002", "page_permission_missing")]
)
def test_share_to_a_page_the_user_cannot_post_on_fails_at_once(
    connected_client, tweet, fake_graph, django_capture_on_commit_callbacks, page_id, reason
):
    response = share(
        connected_client, tweet.pk, page_id, capture=django_capture_on_commit_callbacks
    )

    body = connected_client.get(detail_url(response.json()["id"])).json()
    assert (body["status"], body["attempts"], body["error"]) == ("failed", 1, reason)
    assert fake_graph.posts == []


def test_revoked_token_fails_the_share_and_disconnects(
    connected_client, tweet, fake_graph, django_capture_on_commit_callbacks
):
    fake_graph.fail("GET", "/me/accounts", [401])

    response = share(connected_client, tweet.pk, capture=django_capture_on_commit_callbacks)

    body = connected_client.get(detail_url(response.json()["id"])).json()
    assert (body["status"], body["error"]) == ("failed", "facebook_token_invalid")
    assert connected_client.get(ME_FACEBOOK).json()["connected"] is False


def test_without_a_web_client_the_post_carries_no_link(
    connected_client, tweet, fake_graph, django_capture_on_commit_callbacks, settings
):
    settings.FRONTEND_URL = ""  # this server has no public tweet page to link to

    share(connected_client, tweet.pk, capture=django_capture_on_commit_callbacks)

    assert fake_graph.posts == [
        {"id": "9001_1", "page_id": "9001", "message": "Fresh bread at 7 #bakery"}
    ]


def test_a_retweet_shares_its_original(
    connected_client, user, fake_graph, django_capture_on_commit_callbacks, settings
):
    settings.FRONTEND_URL = "https://chirp.example"
    from tweets import services as tweet_services
    from tweets.models import Tweet

    original = TweetFactory(text="the original")
    tweet_services.retweet(user=user, tweet_id=original.pk)
    retweet = Tweet.objects.get(user=user, retweet_of=original)

    share(connected_client, retweet.pk, capture=django_capture_on_commit_callbacks)

    assert fake_graph.posts[0]["message"] == "the original"
    assert fake_graph.posts[0]["link"] == f"https://chirp.example/tweets/{original.pk}/"


def test_share_when_not_connected_is_400(auth_client, tweet, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = share(auth_client, tweet.pk)

    assert response.status_code == 400
    assert response.json() == error("facebook_not_connected", ANY)
    assert callbacks == []
    assert not FacebookShare.objects.exists()


def test_share_of_a_missing_tweet_is_404_and_schedules_nothing(
    connected_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = share(connected_client, 999999)

    assert response.status_code == 404
    assert response.json() == error("not_found", ANY)
    assert callbacks == []
    assert not FacebookShare.objects.exists()


@pytest.mark.parametrize("page_id", ["", "abc", "1" * 65])
def test_share_needs_a_page_id(connected_client, tweet, page_id):
    response = share(connected_client, tweet.pk, page_id)

    assert response.status_code == 400
    assert response.json() == error("validation_error", ANY, fields={"page_id": ANY})


def test_anonymous_share_is_401(api_client, tweet):
    assert share(api_client, tweet.pk).status_code == 401


def test_only_the_owner_sees_a_share(connected_client, tweet, api_client):
    share_id = share(connected_client, tweet.pk).json()["id"]
    stranger = authenticate(api_client, UserFactory())

    assert stranger.get(detail_url(share_id)).status_code == 404
    assert stranger.get(detail_url(share_id)).json() == error("not_found", ANY)
    assert stranger.get(detail_url(999999)).status_code == 404
    assert connected_client.get(detail_url(share_id)).status_code == 200


def test_reconciler_republishes_a_lost_share(connected_client, tweet, fake_graph, settings):
    settings.FACEBOOK_RECONCILE_AFTER_SECONDS = 0
    share_id = share(connected_client, tweet.pk).json()["id"]  # on-commit task never ran

    assert tasks.reconcile_outbox.delay().get() == 1

    assert FacebookShare.objects.get(pk=share_id).status == "done"
    assert tasks.reconcile_outbox.delay().get() == 0


def test_a_second_delivery_of_a_done_share_posts_nothing(connected_client, tweet, fake_graph):
    share_id = share(connected_client, tweet.pk).json()["id"]
    tasks.publish_share.delay(share_id)

    tasks.publish_share.delay(share_id)

    assert len(fake_graph.posts) == 1
    assert FacebookShare.objects.get(pk=share_id).attempts == 1


def attempt_as_a_worker(share_id: int) -> None:
    """The task as a worker runs it (not eagerly): a failed attempt schedules its retry
    (Celery raises Retry where a worker would send the countdown) instead of looping."""
    with pytest.raises(Retry):
        tasks.publish_share.run(share_id)


def test_the_reconciler_leaves_a_share_to_its_scheduled_retry(
    connected_client, tweet, fake_graph, settings
):
    settings.FACEBOOK_SHARE_RETRY_BACKOFF = 3600  # the retry is due in about an hour
    settings.FACEBOOK_RECONCILE_AFTER_SECONDS = 60
    fake_graph.fail("POST", "/9001/feed", [500])
    share_id = share(connected_client, tweet.pk).json()["id"]  # on-commit task never ran
    attempt_as_a_worker(share_id)
    start = timezone.now()

    with time_machine.travel(start + timedelta(minutes=30)):
        assert tasks.reconcile_outbox.delay().get() == 0  # the retry is not due yet
    with time_machine.travel(start + timedelta(hours=3)):
        assert tasks.reconcile_outbox.delay().get() == 1  # the retry was lost

    body = connected_client.get(detail_url(share_id)).json()
    assert (body["status"], body["attempts"]) == ("done", 2)
    assert len(fake_graph.calls("/9001/feed")) == 2


def test_a_share_whose_attempts_are_spent_is_failed_not_published_again(
    connected_client, tweet, fake_graph, settings
):
    settings.FACEBOOK_SHARE_MAX_ATTEMPTS = 2
    settings.FACEBOOK_RECONCILE_AFTER_SECONDS = 60
    fake_graph.fail("POST", "/9001/feed", [500])
    share_id = share(connected_client, tweet.pk).json()["id"]
    attempt_as_a_worker(share_id)  # attempt 1 of 2 fails
    # Attempt 2 is claimed, then its worker dies before it reports.
    FacebookShare.objects.filter(pk=share_id).update(attempts=2, lease_until=timezone.now())

    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert tasks.reconcile_outbox.delay().get() == 1

    body = connected_client.get(detail_url(share_id)).json()
    assert (body["status"], body["attempts"], body["error"]) == (
        "failed",
        2,
        "facebook_unavailable",
    )
    assert len(fake_graph.calls("/9001/feed")) == 1
    assert fake_graph.posts == []


def test_a_protected_accounts_tweet_is_never_shared(connected_client, user):
    # docs/safety.md: a Page is public, so a protected tweet would leak there.
    user.is_protected = True
    user.save(update_fields=["is_protected"])
    tweet = TweetFactory(user=user, text="for followers only")

    response = share(connected_client, tweet.pk)

    assert response.status_code == 403
    assert response.json() == error("protected")
    assert not FacebookShare.objects.exists()
