"""Background work: token refresh, sync idempotence, the Graph client's behaviour."""

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from facebook_connect import tasks
from facebook_connect.exceptions import (
    FacebookError,
    FacebookPermissionMissing,
    FacebookRateLimited,
    FacebookTokenInvalid,
    FacebookUnavailable,
)
from facebook_connect.graph import GraphClient
from facebook_connect.models import FacebookAccount, FacebookFriend, FacebookLike
from tests.facebook_connect.helpers import assert_every_call_proved, fb_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(api_client, fake_graph):
    fb_login(api_client, "alice")
    return FacebookAccount.objects.get()


def test_expiring_tokens_are_refreshed(account, fake_graph):
    FacebookAccount.objects.update(token_expires_at=timezone.now() + timedelta(days=2))

    assert tasks.refresh_expiring_tokens.delay().get() == 1

    account.refresh_from_db()
    assert account.token_expires_at > timezone.now() + timedelta(days=50)
    assert account.is_connected
    assert_every_call_proved(fake_graph)


def test_tokens_far_from_expiry_are_left_alone(account, fake_graph):
    fake_graph.requests.clear()

    assert tasks.refresh_expiring_tokens.delay().get() == 0
    assert fake_graph.requests == []


def test_a_token_facebook_revoked_marks_the_account_disconnected(account, fake_graph):
    FacebookAccount.objects.update(token_expires_at=timezone.now() + timedelta(days=1))
    fake_graph.fail("POST", "/oauth/access_token", [401])

    tasks.refresh_expiring_tokens.delay()

    account.refresh_from_db()
    assert account.disconnected_at is not None and account.access_token == ""


def test_an_expired_stored_token_is_disconnected_without_asking(account, fake_graph):
    FacebookAccount.objects.update(token_expires_at=timezone.now() - timedelta(minutes=1))
    fake_graph.requests.clear()

    tasks.refresh_facebook_token.delay(account.pk)

    account.refresh_from_db()
    assert not account.is_connected
    assert fake_graph.requests == []


def test_sync_is_idempotent(account):
    tasks.sync_facebook_account.delay(account.pk)
    tasks.sync_facebook_account.delay(account.pk)

    assert FacebookFriend.objects.count() == 2
    assert FacebookLike.objects.count() == 3


def test_a_retryable_graph_error_retries_the_task(account, fake_graph):
    fake_graph.fail("GET", "/me", [500] * 3)  # the first call and the client's 2 retries

    with pytest.raises(Retry):
        tasks.sync_facebook_account.delay(account.pk)


@pytest.mark.parametrize("status", [403, 400])
def test_a_graph_error_not_worth_retrying_fails_the_task_at_once(
    account, fake_graph, settings, status
):
    if status == 403:  # a permission missing on /me itself
        fake_graph.fail("GET", "/me", [403])
    else:  # an answer we cannot use: Facebook refuses the proof of a wrong secret (code 100)
        settings.FACEBOOK_APP_SECRET = "not-the-secret"

    with pytest.raises(FacebookError) as raised:
        tasks.sync_facebook_account.delay(account.pk)

    assert not isinstance(raised.value, Retry) and raised.value.retryable is False


def test_tasks_for_rows_that_are_gone_do_nothing(account, fake_graph):
    account_id = account.pk
    account.delete()
    fake_graph.requests.clear()

    assert tasks.sync_facebook_account.delay(account_id).get() is False
    assert tasks.refresh_facebook_token.delay(account_id).get() is False
    assert tasks.publish_share.delay(424242).get() is None
    assert tasks.delete_facebook_data.delay(424242).get() is False
    assert fake_graph.requests == []


# --- the Graph client against the fake server ---------------------------------------------


@pytest.fixture
def client(fake_graph, settings):
    return GraphClient.from_settings()


def test_list_edges_are_paged(client, fake_graph):
    likes = client.likes("alice")

    assert [like["page_id"] for like in likes] == ["501", "502", "503"]
    pages = fake_graph.calls("/me/likes")
    assert [r.query.get("after") for r in pages] == [None, "2"]


@pytest.mark.parametrize(
    ("status", "exception"),
    [
        (401, FacebookTokenInvalid),
        (403, FacebookPermissionMissing),
        (429, FacebookRateLimited),
        (500, FacebookUnavailable),
    ],
)
def test_graph_errors_are_typed(client, fake_graph, status, exception):
    fake_graph.fail("GET", "/me", [status] * 3)

    with pytest.raises(exception):
        client.me("alice")


@pytest.mark.parametrize(
    ("status", "retryable"), [(401, False), (403, False), (429, True), (500, True)]
)
def test_graph_errors_say_whether_they_are_retryable(client, fake_graph, status, retryable):
    fake_graph.fail("GET", "/me", [status] * 3)

    with pytest.raises(FacebookError) as raised:
        client.me("alice")

    assert raised.value.retryable is retryable


def test_unknown_graph_errors_are_not_retried(client, fake_graph):
    with pytest.raises(FacebookError):
        client._get("no/such/edge", token="alice")
    assert len(fake_graph.requests) == 1


def test_connection_refused_is_unavailable(settings):
    settings.FACEBOOK_APP_ID, settings.FACEBOOK_APP_SECRET = "1", "s"
    settings.FACEBOOK_GRAPH_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.FACEBOOK_RETRIES, settings.FACEBOOK_RETRY_BACKOFF = 1, 0

    with pytest.raises(FacebookUnavailable):
        GraphClient.from_settings().me("alice")


def test_a_wrong_app_secret_fails_the_proof(client, fake_graph, settings):
    settings.FACEBOOK_APP_SECRET = "not-the-secret"

    with pytest.raises(FacebookError):
        GraphClient.from_settings().me("alice")
