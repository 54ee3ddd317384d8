import threading
from datetime import timedelta

import jwt
import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.models import RefreshTokenFamily
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.shapes import ANY, error

REFRESH = "/api/v1/auth/token/refresh/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/me/"
PASSWORD_CHANGE = "/api/v1/auth/password/change/"
NEW_PASSWORD = "another-long-passphrase-77"

BAD_TOKEN = error("authentication_failed", "Token is invalid, expired or revoked.")
BAD_ACCESS_TOKEN = error("authentication_failed", "Token is invalid or expired.")


def refresh(client, token):
    return client.post(REFRESH, {"refresh": token}, format="json")


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


@pytest.fixture
def tokens(user):
    return services.issue_tokens(user=user)


@pytest.mark.django_db
def test_refresh_rotates_the_pair(api_client, user, tokens):
    response = refresh(api_client, tokens["refresh"])

    assert response.status_code == 200
    body = response.json()
    assert body == {"access": ANY, "refresh": ANY}
    assert body["refresh"] != tokens["refresh"]
    assert body["access"] != tokens["access"]
    me = bearer(body["access"]).get(ME)
    assert me.status_code == 200
    assert me.json()["id"] == user.pk
    assert refresh(api_client, body["refresh"]).status_code == 200


@pytest.mark.django_db
def test_a_rotated_refresh_token_cannot_be_reused(api_client, tokens):
    assert refresh(api_client, tokens["refresh"]).status_code == 200

    reuse = refresh(api_client, tokens["refresh"])

    assert reuse.status_code == 401
    assert reuse.json() == BAD_TOKEN


@pytest.mark.django_db
def test_reusing_a_rotated_refresh_token_revokes_its_whole_family(api_client, user, tokens):
    second = refresh(api_client, tokens["refresh"]).json()
    third = refresh(api_client, second["refresh"]).json()
    other_device = services.issue_tokens(user=user)

    reuse = refresh(api_client, tokens["refresh"])

    assert reuse.status_code == 401
    assert reuse.json() == BAD_TOKEN
    # The descendants go too: whoever holds them, thief or owner, logs in again.
    for descendant in (third, second):
        after = refresh(api_client, descendant["refresh"])
        assert after.status_code == 401
        assert after.json() == BAD_TOKEN
    # Another login's family is not touched.
    assert refresh(api_client, other_device["refresh"]).status_code == 200


@pytest.mark.django_db
def test_a_family_lives_through_any_number_of_rotations(api_client, tokens):
    current = tokens["refresh"]
    for _ in range(5):
        response = refresh(api_client, current)
        assert response.status_code == 200
        current = response.json()["refresh"]


@pytest.mark.django_db
def test_reusing_a_logged_out_refresh_token_revokes_its_family(api_client, tokens):
    successor = refresh(api_client, tokens["refresh"]).json()["refresh"]

    # A copy of the first token, presented at logout, is a reuse as much as at refresh.
    assert api_client.post(LOGOUT, {"refresh": tokens["refresh"]}).status_code == 401

    assert refresh(api_client, successor).json() == BAD_TOKEN


@pytest.mark.django_db
def test_a_token_issued_before_families_existed_is_covered_after_its_rotation(api_client, user):
    legacy = str(RefreshToken.for_user(user))  # no family claim, as issued by older releases
    successor = refresh(api_client, legacy).json()["refresh"]

    assert refresh(api_client, legacy).json() == BAD_TOKEN

    assert refresh(api_client, successor).json() == BAD_TOKEN


@pytest.mark.django_db
def test_a_forged_copy_of_a_rotated_token_revokes_nothing(api_client, user, tokens):
    successor = refresh(api_client, tokens["refresh"]).json()["refresh"]
    forged = jwt.encode(
        jwt.decode(tokens["refresh"], options={"verify_signature": False}),
        "not-our-signing-key-0123456789abcdef",
        algorithm="HS256",
    )

    assert refresh(api_client, forged).json() == BAD_TOKEN

    assert refresh(api_client, successor).status_code == 200


@pytest.mark.django_db
def test_logout_revokes_the_refresh_token(api_client, tokens):
    response = api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 204
    assert response.content == b""
    after = refresh(api_client, tokens["refresh"])
    assert after.status_code == 401
    assert after.json() == BAD_TOKEN


@pytest.mark.django_db
def test_logout_leaves_other_sessions_alone(api_client, user, tokens):
    other_device = services.issue_tokens(user=user)

    api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")

    assert refresh(api_client, other_device["refresh"]).status_code == 200


@pytest.mark.django_db
def test_logout_with_a_garbage_token_is_401(api_client):
    response = api_client.post(LOGOUT, {"refresh": "garbage"}, format="json")

    assert response.status_code == 401
    assert response.json() == BAD_TOKEN


@pytest.mark.django_db
@pytest.mark.parametrize("garbage", ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.x"])
def test_refresh_with_a_garbage_token_is_401(api_client, garbage):
    response = refresh(api_client, garbage)

    assert response.status_code == 401
    assert response.json() == BAD_TOKEN


@pytest.mark.django_db
def test_refresh_without_a_token_is_validation_error(api_client):
    response = api_client.post(REFRESH, {}, format="json")

    assert response.status_code == 400
    assert response.json() == error(
        "validation_error", "Invalid input.", {"refresh": ["This field is required."]}
    )


@pytest.mark.django_db
def test_an_access_token_is_not_a_refresh_token(api_client, tokens):
    response = refresh(api_client, tokens["access"])

    assert response.status_code == 401
    assert response.json() == BAD_TOKEN


@pytest.mark.django_db
def test_a_refresh_token_is_not_an_access_token(tokens):
    response = bearer(tokens["refresh"]).get(ME)

    assert response.status_code == 401
    assert response.json() == BAD_ACCESS_TOKEN


@pytest.mark.django_db
def test_refresh_for_a_deactivated_user_is_401(api_client, user, tokens):
    user.is_active = False
    user.save(update_fields=["is_active"])

    response = refresh(api_client, tokens["refresh"])

    assert response.status_code == 401
    assert response.json() == BAD_TOKEN


@pytest.mark.django_db
def test_an_access_token_of_a_deactivated_user_is_401(user, tokens):
    user.is_active = False
    user.save(update_fields=["is_active"])

    response = bearer(tokens["access"]).get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


@pytest.mark.django_db
def test_an_expired_access_token_is_401(user):
    with time_machine.travel(timezone.now() - timedelta(minutes=6), tick=False):
        old = services.issue_tokens(user=user)

    response = bearer(old["access"]).get(ME)

    assert response.status_code == 401
    assert response.json() == BAD_ACCESS_TOKEN


@pytest.mark.django_db
def test_an_access_token_works_until_five_minutes(user, tokens):
    with time_machine.travel(timezone.now() + timedelta(minutes=4, seconds=50)):
        assert bearer(tokens["access"]).get(ME).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=10)):
        assert bearer(tokens["access"]).get(ME).status_code == 401


@pytest.mark.django_db
def test_an_expired_refresh_token_is_401(api_client, user):
    with time_machine.travel(timezone.now() - timedelta(days=15), tick=False):
        old = services.issue_tokens(user=user)

    response = refresh(api_client, old["refresh"])

    assert response.status_code == 401
    assert response.json() == BAD_TOKEN


@pytest.mark.django_db
def test_me_without_credentials_is_401_not_authenticated_with_www_authenticate(api_client):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json() == error(
        "not_authenticated", "Authentication credentials were not provided."
    )
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.django_db
def test_me_with_a_garbage_bearer_token_is_401_authentication_failed(api_client):
    response = bearer("garbage").get(ME)

    assert response.status_code == 401
    assert response.json() == BAD_ACCESS_TOKEN
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.django_db
@pytest.mark.real_password_hasher
def test_password_change_revokes_every_token_issued_before(api_client, user):
    first = services.issue_tokens(user=user)
    second = services.issue_tokens(user=user)

    response = bearer(first["access"]).post(
        PASSWORD_CHANGE,
        {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 204
    assert response.content == b""
    for old in (first, second):
        assert refresh(api_client, old["refresh"]).json() == BAD_TOKEN
        gone = bearer(old["access"]).get(ME)
        assert gone.status_code == 401
        assert gone.json()["code"] == "authentication_failed"

    old_login = api_client.post(
        "/api/v1/auth/login/",
        {"username": user.username, "password": DEFAULT_PASSWORD},
        format="json",
    )
    assert old_login.status_code == 401
    new_login = api_client.post(
        "/api/v1/auth/login/",
        {"username": user.username, "password": NEW_PASSWORD},
        format="json",
    )
    assert new_login.status_code == 200
    fresh = new_login.json()
    assert bearer(fresh["access"]).get(ME).status_code == 200
    assert refresh(api_client, fresh["refresh"]).status_code == 200


@pytest.mark.django_db
def test_password_change_with_a_wrong_old_password_is_400(auth_client, user):
    response = auth_client.post(
        PASSWORD_CHANGE,
        {"old_password": "not-my-password-1", "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == error(
        "validation_error",
        "Invalid input.",
        {"old_password": ["The current password is incorrect."]},
    )
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


@pytest.mark.django_db
def test_password_change_to_a_weak_password_is_400_and_keeps_tokens(api_client, user, tokens):
    response = bearer(tokens["access"]).post(
        PASSWORD_CHANGE,
        {"old_password": DEFAULT_PASSWORD, "new_password": "12345678"},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body == error("validation_error", "Invalid input.", {"new_password": ANY})
    assert "This password is entirely numeric." in body["fields"]["new_password"]
    assert refresh(api_client, tokens["refresh"]).status_code == 200


@pytest.mark.django_db
def test_password_change_needs_authentication(api_client):
    response = api_client.post(
        PASSWORD_CHANGE, {"old_password": "x", "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_token_let_only_one_succeed():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to lose")
    user = UserFactory()
    token = services.issue_tokens(user=user)["refresh"]
    contenders = 6
    barrier = threading.Barrier(contenders)
    outcomes: list[int | str] = []
    lock = threading.Lock()

    def contend() -> None:
        try:
            barrier.wait(timeout=10)
            outcome: int | str = refresh(APIClient(), token).status_code
        except Exception as exc:  # reported through the assertion below
            outcome = repr(exc)
        finally:
            connection.close()  # each thread has its own connection
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=contend) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes, key=str) == [200] + [401] * (contenders - 1)
    # The losers presented a token already rotated: a reuse, so the winner's new token is
    # revoked with its family and the holder logs in again.
    assert RefreshTokenFamily.objects.get(user=user).revoked_at is not None
