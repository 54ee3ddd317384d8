"""POST /api/v1/auth/facebook/: login, register, link, and every way it can be refused."""

import threading

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections
from rest_framework.test import APIClient

from accounts.models import User
from facebook_connect.models import FacebookAccount, FacebookFriend, FacebookLike
from tests.facebook_connect.helpers import LOGIN, account_of, assert_every_call_proved, fb_login
from tests.factories import UserFactory
from tests.shapes import ANY, error, me_json

pytestmark = pytest.mark.django_db

TOKEN_INVALID = error("facebook_token_invalid", ANY)
UNAVAILABLE = error("facebook_unavailable", ANY)


def nothing_created() -> bool:
    return not User.objects.exists() and not FacebookAccount.objects.exists()


def test_new_facebook_user_is_registered_with_201(api_client, fake_graph):
    response = fb_login(api_client, "alice")

    assert response.status_code == 201
    user = User.objects.get()
    assert response.json() == {
        "user": me_json(user, facebook_connected=True),
        "access": ANY,
        "refresh": ANY,
        "created": True,
    }
    assert user.username == "alice_liddell"
    assert user.display_name == "Alice Liddell"
    # The address came from Facebook: stored, but not verified by us.
    assert (user.email, user.email_verified) == ("alice@example.com", False)
    assert not user.has_usable_password()
    account = account_of(user)
    assert account.facebook_id == "10001"
    assert account.access_token == "alice.long"  # exchanged for a long-lived token
    assert account.token_expires_at is not None
    assert "user_friends" in account.scopes


def test_login_tokens_authenticate_as_the_user(api_client, fake_graph):
    body = fb_login(api_client, "alice").json()

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    response = api_client.get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["username"] == "alice_liddell"
    assert response.json()["facebook_connected"] is True


def test_returning_facebook_user_logs_in_with_200(api_client, fake_graph):
    first = fb_login(api_client, "alice").json()

    response = fb_login(api_client, "alice")

    assert response.status_code == 200
    assert response.json()["created"] is False
    assert response.json()["user"]["id"] == first["user"]["id"]
    assert User.objects.count() == 1


def test_matching_is_by_facebook_id_only(api_client, fake_graph):
    """Same name and email as an existing Facebook user, another Facebook id: a new user
    would need the email, which belongs to an unverified-by-us account -> 409."""
    fb_login(api_client, "alice")
    fake_graph.add_user("alice2", id="55555", name="Alice Liddell", email="alice@example.com")

    response = fb_login(api_client, "alice2")

    assert response.status_code == 409
    assert response.json() == error("email_in_use", ANY)
    assert FacebookAccount.objects.count() == 1


def test_links_to_the_account_whose_email_is_verified(api_client, fake_graph):
    owner = UserFactory(username="alice", email="Alice@Example.com", email_verified=True)

    response = fb_login(api_client, "alice")

    assert response.status_code == 200
    assert response.json()["created"] is False
    assert response.json()["user"] == me_json(owner, facebook_connected=True)
    assert account_of(owner).facebook_id == "10001"
    assert User.objects.count() == 1


def test_email_of_an_unverified_account_is_409_and_links_nothing(api_client, fake_graph):
    UserFactory(username="alice", email="alice@example.com", email_verified=False)

    response = fb_login(api_client, "alice")

    assert response.status_code == 409
    assert response.json() == error("email_in_use", ANY)
    assert not FacebookAccount.objects.exists()
    assert User.objects.count() == 1


def test_email_of_an_account_linked_to_another_facebook_account_is_409(api_client, fake_graph):
    owner = UserFactory(email="alice@example.com", email_verified=True)
    FacebookAccount.objects.create(user=owner, facebook_id="999999", access_token="x")

    response = fb_login(api_client, "alice")

    assert response.status_code == 409
    assert response.json()["code"] == "email_in_use"


def test_a_rejected_login_schedules_nothing(
    api_client, fake_graph, django_capture_on_commit_callbacks
):
    UserFactory(email="alice@example.com", email_verified=False)

    with django_capture_on_commit_callbacks() as callbacks:
        response = fb_login(api_client, "alice")

    assert response.status_code == 409
    assert callbacks == []


def test_facebook_user_without_email_is_registered(api_client, fake_graph):
    response = fb_login(api_client, "noemail")

    assert response.status_code == 201
    user = User.objects.get()
    assert (user.username, user.email) == ("no_email", "")


@pytest.mark.parametrize(("token", "username"), [("unicode", "jose_nunez_aberg"), ("cjk", "user")])
def test_username_is_ascii_folded_from_the_name(api_client, fake_graph, token, username):
    response = fb_login(api_client, token)

    assert response.status_code == 201
    assert response.json()["user"]["username"] == username


def test_taken_username_is_numbered(api_client, fake_graph):
    UserFactory(username="Alice_Liddell", email="someone@example.com")
    UserFactory(username="alice_liddell2", email="someone2@example.com")

    response = fb_login(api_client, "alice")

    assert response.status_code == 201
    assert response.json()["user"]["username"] == "alice_liddell3"


def test_long_names_make_30_character_usernames(api_client, fake_graph):
    fake_graph.add_user("long", name="Maximilian Alexander Bartholomew Fitzgerald", email=None)
    UserFactory(username="maximilian_alexander_bartholom")

    response = fb_login(api_client, "long")

    assert response.json()["user"]["username"] == "maximilian_alexander_bar2"


@pytest.mark.parametrize("token", ["otherapp", "expired", "pagetoken", "no-such-token"])
def test_tokens_facebook_rejects_are_400_and_create_nothing(api_client, fake_graph, token):
    response = fb_login(api_client, token)

    assert response.status_code == 400
    assert response.json() == TOKEN_INVALID
    assert nothing_created()


def test_token_of_another_app_is_refused_before_reading_the_profile(api_client, fake_graph):
    fb_login(api_client, "otherapp")

    assert [r.path for r in fake_graph.requests] == ["/debug_token"]


def test_facebook_down_is_503_and_creates_nothing(api_client, fake_graph):
    fake_graph.down = True

    response = fb_login(api_client, "alice")

    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert nothing_created()


def test_graph_500s_are_retried_then_503(api_client, fake_graph):
    response = fb_login(api_client, "broken")

    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    # debug_token answered 500 three times: the first try and FACEBOOK_RETRIES retries.
    assert len(fake_graph.calls("/debug_token")) == 3
    assert nothing_created()


def test_a_transient_500_is_retried_and_the_login_succeeds(api_client, fake_graph):
    fake_graph.fail("GET", "/me", [500])

    response = fb_login(api_client, "alice")

    assert response.status_code == 201
    assert len(fake_graph.calls("/me")) == 2


def test_rate_limited_is_503_without_retries(api_client, fake_graph):
    response = fb_login(api_client, "ratelimited")

    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert len(fake_graph.calls("/debug_token")) == 1
    assert nothing_created()


def test_slow_facebook_times_out_with_503(api_client, fake_graph, settings):
    settings.FACEBOOK_TIMEOUT = 0.2
    settings.FACEBOOK_RETRIES = 0
    fake_graph.slow_seconds = 1.0

    response = fb_login(api_client, "slow")

    assert response.status_code == 503
    assert nothing_created()


def test_failed_long_lived_exchange_is_503_and_creates_nothing(api_client, fake_graph):
    fake_graph.fail("POST", "/oauth/access_token", [500, 500, 500])

    response = fb_login(api_client, "alice")

    assert response.status_code == 503
    assert nothing_created()


def test_not_configured_is_503(api_client, fake_graph, settings):
    settings.FACEBOOK_APP_ID = ""

    response = fb_login(api_client, "alice")

    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert fake_graph.requests == []


def test_missing_token_is_a_validation_error(api_client, fake_graph):
    response = api_client.post(LOGIN, {}, format="json")

    assert response.status_code == 400
    assert response.json() == error("validation_error", ANY, fields={"access_token": ANY})


def test_login_ignores_a_stale_bearer_header(api_client, fake_graph):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")

    assert fb_login(api_client, "alice").status_code == 201


def test_disabled_account_cannot_log_in(api_client, fake_graph):
    fb_login(api_client, "alice")
    User.objects.update(is_active=False)

    response = fb_login(api_client, "alice")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_suspended_account_is_told_so(api_client, fake_graph):
    from django.utils import timezone

    fb_login(api_client, "alice")
    User.objects.update(is_active=False, suspended_at=timezone.now())

    response = fb_login(api_client, "alice")

    assert response.status_code == 403
    assert response.json() == {"code": "account_suspended", "detail": "This account is suspended."}


def test_login_syncs_friends_likes_and_avatar_after_commit(
    api_client, fake_graph, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        fb_login(api_client, "bob")
    with django_capture_on_commit_callbacks(execute=True):
        response = fb_login(api_client, "alice")

    alice = User.objects.get(pk=response.json()["user"]["id"])
    account = account_of(alice)
    assert set(
        FacebookFriend.objects.filter(account=account).values_list("facebook_id", flat=True)
    ) == {
        "10002",
        "10005",
    }
    # Three likes over two pages of the fake server (two per page).
    assert FacebookLike.objects.filter(account=account).count() == 3
    assert len(fake_graph.calls("/me/likes")) >= 2
    assert alice.avatar.name.startswith(f"avatars/{alice.pk}/")
    assert account.avatar_name == alice.avatar.name
    assert account.last_synced_at is not None


def test_appsecret_proof_is_on_every_call(
    api_client, fake_graph, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        fb_login(api_client, "alice")
        fb_login(api_client, "alice")

    assert {r.path for r in fake_graph.requests} >= {
        "/debug_token",
        "/me",
        "/oauth/access_token",
        "/me/friends",
        "/me/likes",
    }
    assert_every_call_proved(fake_graph)


def test_token_is_encrypted_at_rest(api_client, fake_graph):
    fb_login(api_client, "alice")

    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM facebook_connect_facebookaccount")
        (stored,) = cursor.fetchone()
    assert stored and "alice" not in stored
    assert FacebookAccount.objects.get().access_token == "alice.long"


def test_me_reports_facebook_connected_in_one_query_more_at_most(
    api_client, fake_graph, django_assert_max_num_queries
):
    body = fb_login(api_client, "alice").json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")

    # The user (JWT), the EXISTS, and the pinned tweet (tweets' part of every profile).
    with django_assert_max_num_queries(3):
        response = api_client.get("/api/v1/me/")

    assert response.json()["facebook_connected"] is True


# --- two logins at once --------------------------------------------------------------------


@pytest.mark.skipif(
    not django_settings.IS_POSTGRES,
    reason="needs PostgreSQL: SQLite serialises writers, so the race cannot happen",
)
@pytest.mark.django_db(transaction=True)
def test_parallel_logins_with_one_new_token_create_one_user(fake_graph):

    barrier = threading.Barrier(4)
    results: list[int] = []

    def login() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(fb_login(APIClient(), "carol").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=login) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) == [200, 200, 200, 201]
    assert User.objects.filter(username__startswith="carol").count() == 1
    assert FacebookAccount.objects.filter(facebook_id="10003").count() == 1
