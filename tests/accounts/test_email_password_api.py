from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from accounts import services
from accounts.tokens import make_email_verification_token, make_password_reset_pair
from tests.accounts.links import link_params
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.shapes import ANY, error, me_json

VERIFY = "/api/v1/auth/email/verify/"
RESEND = "/api/v1/auth/email/resend/"
RESET = "/api/v1/auth/password/reset/"
RESET_CONFIRM = "/api/v1/auth/password/reset/confirm/"
NEW_PASSWORD = "a-brand-new-passphrase-31"

BAD_VERIFY_TOKEN = error(
    "validation_error",
    "Invalid input.",
    {"token": ["This verification link is invalid or has expired."]},
)
BAD_RESET_LINK = error(
    "validation_error", "Invalid input.", {"token": ["This reset link is invalid or has expired."]}
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def unverified(db):
    return UserFactory(username="carol", email="carol@example.com", email_verified=False)


# --- email verification ------------------------------------------------------------------


def test_verify_with_a_good_token_answers_me_verified(api_client, unverified):
    token = make_email_verification_token(unverified)

    response = api_client.post(VERIFY, {"token": token}, format="json")

    assert response.status_code == 200
    unverified.refresh_from_db()
    assert unverified.email_verified is True
    assert response.json() == me_json(unverified, email_verified=True)


def test_verify_twice_is_harmless(api_client, unverified):
    token = make_email_verification_token(unverified)
    api_client.post(VERIFY, {"token": token}, format="json")

    response = api_client.post(VERIFY, {"token": token}, format="json")

    assert response.status_code == 200
    assert response.json()["email_verified"] is True


@pytest.mark.parametrize("token", ["garbage", "a:b:c", "x" * 512])
def test_verify_with_a_bad_token_is_400(api_client, unverified, token):
    response = api_client.post(VERIFY, {"token": token}, format="json")

    assert response.status_code == 400
    assert response.json() == BAD_VERIFY_TOKEN
    unverified.refresh_from_db()
    assert unverified.email_verified is False


def test_verify_with_an_expired_token_is_400(api_client, unverified, settings):
    token = make_email_verification_token(unverified)
    later = timezone.now() + timedelta(seconds=settings.EMAIL_VERIFICATION_MAX_AGE + 60)

    with time_machine.travel(later):
        response = api_client.post(VERIFY, {"token": token}, format="json")

    assert response.status_code == 400
    assert response.json() == BAD_VERIFY_TOKEN


def test_verify_just_before_expiry_works(api_client, unverified, settings):
    token = make_email_verification_token(unverified)
    later = timezone.now() + timedelta(seconds=settings.EMAIL_VERIFICATION_MAX_AGE - 60)

    with time_machine.travel(later):
        response = api_client.post(VERIFY, {"token": token}, format="json")

    assert response.status_code == 200


def test_a_token_for_the_old_email_is_refused_after_the_email_changed(unverified):
    old_token = make_email_verification_token(unverified)
    client = APIClient()
    client.force_authenticate(unverified)
    assert client.patch("/api/v1/me/", {"email": "carol@new.example"}).status_code == 200

    response = APIClient().post(VERIFY, {"token": old_token}, format="json")

    assert response.status_code == 400
    assert response.json() == BAD_VERIFY_TOKEN
    unverified.refresh_from_db()
    assert unverified.email_verified is False


def test_a_token_of_a_deactivated_account_is_refused(api_client, unverified):
    token = make_email_verification_token(unverified)
    unverified.is_active = False
    unverified.save(update_fields=["is_active"])

    response = api_client.post(VERIFY, {"token": token}, format="json")

    assert response.status_code == 400
    assert response.json() == BAD_VERIFY_TOKEN


def test_resend_sends_a_new_working_verification_email(
    make_auth_client, unverified, mailoutbox, django_capture_on_commit_callbacks
):
    client = make_auth_client(unverified)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RESEND)

    assert response.status_code == 202
    assert response.content == b""
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["carol@example.com"]
    token = link_params(mailoutbox[0], "verify-email")["token"]
    assert APIClient().post(VERIFY, {"token": token}, format="json").status_code == 200


def test_resend_when_already_verified_sends_nothing(
    auth_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(RESEND)

    assert response.status_code == 202
    assert mailoutbox == []


def test_resend_needs_authentication(api_client):
    response = api_client.post(RESEND)

    assert response.status_code == 401
    assert response.json() == error(
        "not_authenticated", "Authentication credentials were not provided."
    )


# --- password reset ----------------------------------------------------------------------


def test_password_reset_for_an_existing_email_sends_uid_and_token(
    api_client, user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(RESET, {"email": user.email.upper()}, format="json")

    assert response.status_code == 202
    assert response.content == b""
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [user.email]
    assert mailoutbox[0].subject == "Reset your Chirp password"
    params = link_params(mailoutbox[0], "reset-password")
    assert params == {"uid": ANY, "token": ANY}
    assert f"uid={params['uid']}" in mailoutbox[0].body


def test_password_reset_for_an_unknown_email_answers_the_same_and_sends_nothing(
    api_client, user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = api_client.post(RESET, {"email": user.email}, format="json")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        unknown = api_client.post(RESET, {"email": "nobody@example.com"}, format="json")

    assert unknown.status_code == known.status_code == 202
    assert unknown.content == known.content
    assert dict(unknown.headers) == dict(known.headers)
    assert mailoutbox == []


def test_password_reset_for_a_deactivated_account_sends_nothing(
    api_client, mailoutbox, django_capture_on_commit_callbacks
):
    gone = UserFactory(is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(RESET, {"email": gone.email}, format="json")

    assert response.status_code == 202
    assert mailoutbox == []


def test_password_reset_with_an_invalid_email_is_400(api_client):
    response = api_client.post(RESET, {"email": "nope"}, format="json")

    assert response.status_code == 400
    assert response.json() == error(
        "validation_error", "Invalid input.", {"email": ["Enter a valid email address."]}
    )


def test_password_reset_confirm_sets_the_password_revokes_tokens_and_verifies_email(
    api_client, unverified, mailoutbox, django_capture_on_commit_callbacks
):
    old = services.issue_tokens(user=unverified)
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(RESET, {"email": unverified.email}, format="json")
    params = link_params(mailoutbox[0], "reset-password")

    response = api_client.post(
        RESET_CONFIRM, {**params, "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 204
    assert response.content == b""
    unverified.refresh_from_db()
    assert unverified.check_password(NEW_PASSWORD)
    assert unverified.email_verified is True
    revoked = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": old["refresh"]}, format="json"
    )
    assert revoked.status_code == 401
    stale = APIClient()
    stale.credentials(HTTP_AUTHORIZATION=f"Bearer {old['access']}")
    assert stale.get("/api/v1/me/").status_code == 401
    login = api_client.post(
        "/api/v1/auth/login/", {"username": "carol", "password": NEW_PASSWORD}, format="json"
    )
    assert login.status_code == 200


def test_a_reset_link_works_only_once(api_client, user):
    uid, token = make_password_reset_pair(user)
    first = api_client.post(
        RESET_CONFIRM, {"uid": uid, "token": token, "new_password": NEW_PASSWORD}, format="json"
    )
    assert first.status_code == 204

    again = api_client.post(
        RESET_CONFIRM,
        {"uid": uid, "token": token, "new_password": "yet-another-passphrase-5"},
        format="json",
    )

    assert again.status_code == 400
    assert again.json() == BAD_RESET_LINK
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_a_reset_link_expires(api_client, user, settings):
    uid, token = make_password_reset_pair(user)
    later = timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)

    with time_machine.travel(later):
        response = api_client.post(
            RESET_CONFIRM,
            {"uid": uid, "token": token, "new_password": NEW_PASSWORD},
            format="json",
        )

    assert response.status_code == 400
    assert response.json() == BAD_RESET_LINK


@pytest.mark.parametrize(
    "uid",
    [
        "garbage!",
        "",
        urlsafe_base64_encode(b"abc"),
        urlsafe_base64_encode(b"999999"),
        urlsafe_base64_encode(force_bytes(10**30)),
        urlsafe_base64_encode(b"-1"),
    ],
)
def test_password_reset_confirm_with_a_bad_uid_is_400(api_client, user, uid):
    _, token = make_password_reset_pair(user)

    response = api_client.post(
        RESET_CONFIRM, {"uid": uid, "token": token, "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_reset_confirm_with_a_bad_token_is_400(api_client, user):
    uid, _ = make_password_reset_pair(user)

    response = api_client.post(
        RESET_CONFIRM,
        {"uid": uid, "token": "abc-0123456789abcdef", "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == BAD_RESET_LINK


def test_another_users_token_does_not_reset_my_password(api_client, user):
    uid, _ = make_password_reset_pair(user)
    _, other_token = make_password_reset_pair(UserFactory())

    response = api_client.post(
        RESET_CONFIRM,
        {"uid": uid, "token": other_token, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == BAD_RESET_LINK


def test_password_reset_confirm_with_a_weak_password_is_400_and_keeps_the_link(api_client, user):
    uid, token = make_password_reset_pair(user)

    weak = api_client.post(
        RESET_CONFIRM, {"uid": uid, "token": token, "new_password": "abc"}, format="json"
    )

    assert weak.status_code == 400
    body = weak.json()
    assert body == error("validation_error", "Invalid input.", {"new_password": ANY})
    assert (
        "This password is too short. It must contain at least 8 characters."
        in body["fields"]["new_password"]
    )
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    strong = api_client.post(
        RESET_CONFIRM, {"uid": uid, "token": token, "new_password": NEW_PASSWORD}, format="json"
    )
    assert strong.status_code == 204
