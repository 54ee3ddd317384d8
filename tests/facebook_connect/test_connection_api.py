"""/me/facebook/: status, connect, disconnect, sync, and friends on Chirp."""

import pytest

from accounts.models import User
from facebook_connect.models import FacebookAccount, FacebookFriend, FacebookLike, FacebookShare
from tests.conftest import authenticate
from tests.facebook_connect.helpers import ME_FACEBOOK, account_of, fb_login
from tests.factories import TweetFactory, UserFactory
from tests.shapes import ANY, error, iso, summary_json

pytestmark = pytest.mark.django_db

SYNC = "/api/v1/me/facebook/sync/"
FRIENDS = "/api/v1/me/facebook/friends/"

NOT_CONNECTED = {
    "connected": False,
    "facebook_id": None,
    "name": None,
    "token_expires_at": None,
    "last_synced_at": None,
    "friends_count": 0,
    "likes_count": 0,
}


def connect(client, token: str = "alice"):
    return client.post(ME_FACEBOOK, {"access_token": token}, format="json")


def login_client(fake_graph, token: str, capture):
    """An authenticated client of the user a Facebook login made, synced."""
    from rest_framework.test import APIClient

    client = APIClient()
    with capture(execute=True):
        body = fb_login(client, token).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    return client, User.objects.get(pk=body["user"]["id"])


def test_status_when_not_connected(auth_client):
    response = auth_client.get(ME_FACEBOOK)

    assert response.status_code == 200
    assert response.json() == NOT_CONNECTED


def test_anonymous_is_401(api_client):
    assert api_client.get(ME_FACEBOOK).status_code == 401
    assert api_client.post(SYNC).status_code == 401
    assert api_client.get(FRIENDS).status_code == 401


def test_connect_links_the_signed_in_user(
    auth_client, user, fake_graph, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = connect(auth_client)

    assert response.status_code == 200
    account = account_of(user)
    assert response.json() == {
        "connected": True,
        "facebook_id": "10001",
        "name": "Alice Liddell",
        "token_expires_at": iso(account.token_expires_at),
        "last_synced_at": None,  # the sync ran after the answer was built
        "friends_count": 0,
        "likes_count": 0,
    }
    status = auth_client.get(ME_FACEBOOK).json()
    assert (status["friends_count"], status["likes_count"]) == (2, 3)
    assert status["last_synced_at"] is not None
    assert auth_client.get("/api/v1/me/").json()["facebook_connected"] is True
    assert User.objects.count() == 1  # connecting never creates a user


def test_connect_again_refreshes_the_token(auth_client, user, fake_graph):
    connect(auth_client)
    FacebookAccount.objects.update(access_token="stale")

    response = connect(auth_client)

    assert response.status_code == 200
    assert account_of(user).access_token == "alice.long"


def test_connect_a_facebook_account_linked_to_another_user_is_409(
    auth_client, user, fake_graph, api_client
):
    fb_login(api_client, "alice")

    response = connect(auth_client)

    assert response.status_code == 409
    assert response.json() == error("facebook_account_linked", ANY)
    assert not FacebookAccount.objects.filter(user=user).exists()


def test_connect_a_second_facebook_account_is_409(auth_client, user, fake_graph):
    connect(auth_client, "alice")

    response = connect(auth_client, "bob")

    assert response.status_code == 409
    assert response.json() == error("facebook_already_connected", ANY)
    assert account_of(user).facebook_id == "10001"


@pytest.mark.parametrize("token", ["otherapp", "expired"])
def test_connect_with_a_rejected_token_is_400(auth_client, user, fake_graph, token):
    response = connect(auth_client, token)

    assert response.status_code == 400
    assert response.json() == error("facebook_token_invalid", ANY)


def test_connect_with_facebook_down_is_503(auth_client, fake_graph):
    fake_graph.down = True

    response = connect(auth_client)

    assert response.status_code == 503
    assert not FacebookAccount.objects.exists()


def test_disconnect_forgets_everything_facebook(
    auth_client, user, fake_graph, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        connect(auth_client)
        auth_client.post(
            f"/api/v1/tweets/{TweetFactory(user=user).pk}/share/facebook/",
            {"page_id": "9001"},
            format="json",
        )
    assert FacebookFriend.objects.exists() and FacebookShare.objects.exists()

    response = auth_client.delete(ME_FACEBOOK)

    assert response.status_code == 204
    assert not FacebookAccount.objects.exists()
    assert not FacebookFriend.objects.exists()
    assert not FacebookLike.objects.exists()
    assert not FacebookShare.objects.exists()
    assert auth_client.get(ME_FACEBOOK).json() == NOT_CONNECTED


def test_disconnect_without_a_password_is_400_password_required(
    fake_graph, django_capture_on_commit_callbacks
):
    client, user = login_client(fake_graph, "alice", django_capture_on_commit_callbacks)

    response = client.delete(ME_FACEBOOK)

    assert response.status_code == 400
    assert response.json() == error("password_required", ANY)
    assert account_of(user).is_connected


def test_disconnect_after_setting_a_password(fake_graph, django_capture_on_commit_callbacks):
    client, user = login_client(fake_graph, "alice", django_capture_on_commit_callbacks)
    user.set_password("a-long-test-passphrase-42")
    user.save()
    client = authenticate(client, user)  # the old access token died with the password change

    assert client.delete(ME_FACEBOOK).status_code == 204
    assert not FacebookAccount.objects.exists()


def test_disconnect_when_not_connected_is_204(auth_client):
    assert auth_client.delete(ME_FACEBOOK).status_code == 204


def test_sync_is_202_and_runs_after_commit(
    auth_client, user, fake_graph, django_capture_on_commit_callbacks
):
    connect(auth_client)  # no sync ran: callbacks were not executed
    assert not FacebookLike.objects.exists()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = auth_client.post(SYNC)

    assert response.status_code == 202
    assert len(callbacks) == 1
    assert FacebookLike.objects.count() == 3
    assert account_of(user).last_synced_at is not None


def test_sync_when_not_connected_is_400(auth_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = auth_client.post(SYNC)

    assert response.status_code == 400
    assert response.json() == error("facebook_not_connected", ANY)
    assert callbacks == []


def test_sync_replaces_friends_and_likes(
    auth_client, user, fake_graph, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        connect(auth_client)
    fake_graph.users["alice"].friends = ["bob"]
    fake_graph.users["alice"].likes = [{"id": "504", "name": "Redis", "category": "Software"}]

    with django_capture_on_commit_callbacks(execute=True):
        auth_client.post(SYNC)

    account = account_of(user)
    assert list(account.friends.values_list("facebook_id", flat=True)) == ["10002"]
    assert list(account.likes.values_list("page_id", "name")) == [("504", "Redis")]


def test_sync_without_the_friends_permission_keeps_the_rest(
    auth_client, user, fake_graph, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        connect(auth_client)
    fake_graph.users["alice"].likes = []
    fake_graph.fail("GET", "/me/friends", [403])  # Graph error 10: permission missing

    with django_capture_on_commit_callbacks(execute=True):
        auth_client.post(SYNC)

    account = account_of(user)
    assert account.friends.count() == 2  # unknown this time: kept as they were
    assert account.likes.count() == 0  # read fine: replaced
    assert account.is_connected


def test_revoked_token_found_by_sync_marks_the_account_disconnected(
    auth_client, user, fake_graph, django_capture_on_commit_callbacks
):
    connect(auth_client)
    fake_graph.fail("GET", "/me", [401])  # answered as Graph error 190

    with django_capture_on_commit_callbacks(execute=True):
        auth_client.post(SYNC)

    account = account_of(user)
    assert account.disconnected_at is not None
    assert account.access_token == ""
    assert auth_client.get(ME_FACEBOOK).json()["connected"] is False
    assert auth_client.get("/api/v1/me/").json()["facebook_connected"] is False


def test_facebook_friends_on_chirp_with_is_following(
    fake_graph, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    _bob_client, bob = login_client(fake_graph, "bob", capture)
    alice_client, _alice = login_client(fake_graph, "alice", capture)
    _, jose = login_client(fake_graph, "unicode", capture)
    UserFactory()  # not a Facebook friend

    response = alice_client.get(FRIENDS)

    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {**summary_json(jose, avatar_url=ANY), "is_following": False},
            {**summary_json(bob, avatar_url=ANY), "is_following": False},
        ],
        "next": None,
        "previous": ANY,
    }
    alice_client.post(f"/api/v1/users/{bob.username}/follow/")
    results = alice_client.get(FRIENDS).json()["results"]
    assert [(r["username"], r["is_following"]) for r in results] == [
        (jose.username, False),
        (bob.username, True),
    ]


def test_friends_who_joined_after_the_last_sync_are_listed(
    fake_graph, django_capture_on_commit_callbacks
):
    """Alice synced before Bob joined; Bob's list names her, so each sees the other."""
    capture = django_capture_on_commit_callbacks
    fake_graph.users["alice"].friends = []
    alice_client, alice = login_client(fake_graph, "alice", capture)
    bob_client, bob = login_client(fake_graph, "bob", capture)

    assert [r["id"] for r in alice_client.get(FRIENDS).json()["results"]] == [bob.pk]
    assert [r["id"] for r in bob_client.get(FRIENDS).json()["results"]] == [alice.pk]


def test_friends_list_is_empty_when_not_connected(auth_client):
    assert auth_client.get(FRIENDS).json() == {"results": [], "next": None, "previous": None}


def test_facebook_friends_come_before_popular_accounts_in_suggestions(
    fake_graph, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    popular = UserFactory(followers_count=1000)
    _, bob = login_client(fake_graph, "bob", capture)
    alice_client, _alice = login_client(fake_graph, "alice", capture)

    results = alice_client.get("/api/v1/users/suggestions/").json()["results"]

    ids = [r["id"] for r in results]
    assert ids.index(bob.pk) < ids.index(popular.pk)
    alice_client.post(f"/api/v1/users/{bob.username}/follow/")
    assert bob.pk not in [
        r["id"] for r in alice_client.get("/api/v1/users/suggestions/").json()["results"]
    ]
