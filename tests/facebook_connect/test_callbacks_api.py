"""Facebook's server-to-server callbacks: deauthorize and data deletion (signed_request)."""

import pytest
import time_machine

from accounts.models import User
from facebook_connect.models import (
    FacebookAccount,
    FacebookDataDeletion,
    FacebookFriend,
    FacebookLike,
    FacebookShare,
)
from fakegraph.server import signed_request
from tests.facebook_connect.helpers import ME_FACEBOOK, fb_login, signed
from tests.factories import TweetFactory
from tests.shapes import ANY, error

pytestmark = pytest.mark.django_db

DEAUTHORIZE = "/api/v1/facebook/deauthorize/"
DELETION = "/api/v1/facebook/data-deletion/"
BAD_SIGNATURE = error("invalid_signed_request", ANY)


def login(client, token, capture):
    with capture(execute=True):
        body = fb_login(client, token).json()
    return User.objects.get(pk=body["user"]["id"]), body["access"]


# --- deauthorize ---------------------------------------------------------------------------


def test_deauthorize_forgets_the_token(api_client, fake_graph, django_capture_on_commit_callbacks):
    user, access = login(api_client, "alice", django_capture_on_commit_callbacks)

    response = api_client.post(DEAUTHORIZE, {"signed_request": signed("10001")})

    assert response.status_code == 200
    account = FacebookAccount.objects.get(user=user)
    assert account.access_token == "" and account.disconnected_at is not None
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert api_client.get("/api/v1/me/").json()["facebook_connected"] is False


def test_after_deauthorize_a_facebook_login_finds_the_same_user(
    api_client, fake_graph, django_capture_on_commit_callbacks
):
    user, _ = login(api_client, "alice", django_capture_on_commit_callbacks)
    api_client.post(DEAUTHORIZE, {"signed_request": signed("10001")})

    response = fb_login(api_client, "alice")

    assert response.status_code == 200
    assert response.json()["user"]["id"] == user.pk
    assert FacebookAccount.objects.get(user=user).is_connected


def test_deauthorize_of_an_unknown_user_is_200(api_client, fake_graph):
    assert api_client.post(DEAUTHORIZE, {"signed_request": signed("424242")}).status_code == 200


def test_deauthorize_accepts_json_too(api_client, fake_graph):
    response = api_client.post(DEAUTHORIZE, {"signed_request": signed("1")}, format="json")

    assert response.status_code == 200


def tampered_payload() -> str:
    signature, _ = signed("10001").split(".", 1)
    _, other_payload = signed("10002").split(".", 1)
    return f"{signature}.{other_payload}"


BAD_REQUESTS = {
    "wrong_secret": lambda: signed_request(
        {"algorithm": "HMAC-SHA256", "issued_at": 2_000_000_000, "user_id": "10001"},
        secret="not-our-secret",
    ),
    "tampered_payload": tampered_payload,
    "no_signature": lambda: signed("10001").split(".", 1)[1],
    "garbage": lambda: "!!!.###",
    "too_old": lambda: signed("10001", age=3601),
    "from_the_future": lambda: signed("10001", age=-3600),
    "other_algorithm": lambda: signed("10001", algorithm="HMAC-SHA1"),
    "no_user_id": lambda: signed("not-digits"),
}


@pytest.mark.parametrize("url", [DEAUTHORIZE, DELETION])
@pytest.mark.parametrize("case", sorted(BAD_REQUESTS))
def test_bad_signed_requests_are_400_and_change_nothing(
    api_client, fake_graph, django_capture_on_commit_callbacks, url, case
):
    user, _ = login(api_client, "alice", django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.post(url, {"signed_request": BAD_REQUESTS[case]()})

    assert response.status_code == 400
    assert response.json() == BAD_SIGNATURE
    assert callbacks == []
    assert FacebookAccount.objects.get(user=user).is_connected
    assert not FacebookDataDeletion.objects.exists()


def test_signed_request_just_within_its_age_is_accepted(api_client, fake_graph):
    assert (
        api_client.post(DEAUTHORIZE, {"signed_request": signed("1", age=3590)}).status_code == 200
    )


def test_missing_signed_request_is_a_validation_error(api_client, fake_graph):
    response = api_client.post(DEAUTHORIZE, {})

    assert response.status_code == 400
    assert response.json() == error("validation_error", ANY, fields={"signed_request": ANY})


# --- data deletion -------------------------------------------------------------------------


def test_data_deletion_removes_every_facebook_datum(
    api_client, fake_graph, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    bob, _ = login(api_client, "bob", capture)  # lists Alice as a friend
    alice, access = login(api_client, "alice", capture)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    with capture(execute=True):
        api_client.post(
            f"/api/v1/tweets/{TweetFactory(user=alice).pk}/share/facebook/",
            {"page_id": "9001"},
            format="json",
        )
    api_client.credentials()
    alice.refresh_from_db()
    avatar_name = alice.avatar.name
    assert avatar_name and FacebookFriend.objects.filter(facebook_id="10001").exists()

    with capture() as callbacks:
        response = api_client.post(DELETION, {"signed_request": signed("10001")})

    assert response.status_code == 200
    code = response.json()["confirmation_code"]
    assert response.json() == {
        "url": f"http://testserver/api/v1/facebook/data-deletion/{code}/",
        "confirmation_code": code,
    }
    status_url = response.json()["url"].replace("http://testserver", "")
    assert api_client.get(status_url).json() == {"status": "pending"}

    with capture(execute=True):  # the commit: the deletion runs (eagerly here), and so
        for callback in callbacks:  # do the file removals it schedules on its own commit
            callback()

    assert api_client.get(status_url).json() == {"status": "done"}
    assert not FacebookAccount.objects.filter(user=alice).exists()
    assert not FacebookLike.objects.filter(account__user=alice).exists()
    assert not FacebookShare.objects.filter(user=alice).exists()
    # Nowhere, not even in Bob's friend list or the deletion record, is her id left.
    assert not FacebookFriend.objects.filter(facebook_id="10001").exists()
    assert FacebookDataDeletion.objects.get().facebook_id == ""
    for model in (FacebookAccount, FacebookFriend, FacebookLike):
        for row in model.objects.values():
            assert "10001" not in str(row) and "Alice Liddell" not in str(row)
    # The avatar copied from Facebook is gone too; the Chirp account stays.
    alice.refresh_from_db()
    assert not alice.avatar
    assert not alice.avatar.storage.exists(avatar_name)
    assert User.objects.filter(pk=alice.pk).exists()
    # Bob keeps his own data.
    assert FacebookAccount.objects.filter(user=bob).exists()


def test_data_deletion_keeps_an_avatar_the_user_uploaded(
    api_client, fake_graph, django_capture_on_commit_callbacks
):
    alice, _ = login(api_client, "alice", django_capture_on_commit_callbacks)
    FacebookAccount.objects.filter(user=alice).update(avatar_name="avatars/other.png")

    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(DELETION, {"signed_request": signed("10001")})

    alice.refresh_from_db()
    assert alice.avatar


def test_data_deletion_of_an_unknown_user_is_done_at_once(
    api_client, fake_graph, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(DELETION, {"signed_request": signed("31337")})

    assert response.status_code == 200
    url = response.json()["url"].replace("http://testserver", "")
    assert api_client.get(url).json() == {"status": "done"}


def test_data_deletion_is_idempotent(api_client, fake_graph, django_capture_on_commit_callbacks):
    from facebook_connect import tasks

    login(api_client, "alice", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(DELETION, {"signed_request": signed("10001")})
    deletion = FacebookDataDeletion.objects.get()

    assert tasks.delete_facebook_data.delay(deletion.pk).get() is False


def test_unknown_confirmation_code_is_404(api_client):
    response = api_client.get("/api/v1/facebook/data-deletion/nope/")

    assert response.status_code == 404
    assert response.json() == error("not_found", ANY)


def test_stalled_deletion_is_picked_up_by_the_reconciler(api_client, fake_graph, settings):
    from facebook_connect import tasks

    settings.FACEBOOK_RECONCILE_AFTER_SECONDS = 60
    with time_machine.travel("2030-01-01 12:00:00", tick=False):
        api_client.post(DELETION, {"signed_request": signed("10001")})  # task never ran
    with time_machine.travel("2030-01-01 12:05:00", tick=False):
        assert tasks.reconcile_outbox.delay().get() == 1

    assert FacebookDataDeletion.objects.get().status == "done"


def test_facebook_status_after_deletion_is_not_connected(
    api_client, fake_graph, django_capture_on_commit_callbacks
):
    _, access = login(api_client, "alice", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(DELETION, {"signed_request": signed("10001")})

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert api_client.get(ME_FACEBOOK).json()["connected"] is False
