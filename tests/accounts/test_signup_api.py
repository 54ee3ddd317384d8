import pytest

from accounts.models import User
from tests.accounts.links import link_params
from tests.factories import UserFactory
from tests.shapes import ANY, error, me_json

SIGNUP = "/api/v1/auth/signup/"
STRONG_PASSWORD = "correct-horse-battery-staple-9"


def signup(client, **overrides):
    data = {"username": "alice", "email": "alice@example.com", "password": STRONG_PASSWORD}
    return client.post(SIGNUP, {**data, **overrides}, format="json")


def verification_token(message) -> str:
    return link_params(message, "verify-email")["token"]


@pytest.mark.django_db
def test_signup_creates_the_account_and_answers_me_with_tokens(
    api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(api_client, username="Alice_1", email="Alice@Example.COM")

    assert response.status_code == 201
    user = User.objects.get(username="Alice_1")
    assert user.email == "alice@example.com"
    assert user.check_password(STRONG_PASSWORD)
    assert response.json() == {
        "user": me_json(user, email="alice@example.com", email_verified=False, display_name=""),
        "access": ANY,
        "refresh": ANY,
    }


@pytest.mark.django_db
def test_signup_tokens_work_on_me(api_client):
    body = signup(api_client).json()

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    me = api_client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json() == body["user"]

    refreshed = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": body["refresh"]}, format="json"
    )
    assert refreshed.status_code == 200


@pytest.mark.django_db
def test_signup_sends_a_verification_email_whose_token_verifies(
    api_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signup(api_client)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["alice@example.com"]
    assert message.subject == "Confirm your email for Chirp"

    response = api_client.post(
        "/api/v1/auth/email/verify/", {"token": verification_token(message)}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["email_verified"] is True
    assert User.objects.get(username="alice").email_verified is True


@pytest.mark.django_db
def test_signup_that_fails_sends_no_email(
    api_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = signup(api_client, password="123")

    assert response.status_code == 400
    assert callbacks == []
    assert mailoutbox == []
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["a", "A_b_9", "x" * 30])
def test_signup_accepts_usernames_of_1_to_30_letters_digits_underscores(api_client, username):
    response = signup(api_client, username=username)

    assert response.status_code == 201
    assert response.json()["user"]["username"] == username


USERNAME_RULE = "Usernames are 1 to 30 letters, digits or underscores."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "messages"),
    [
        ("", ["This field may not be blank."]),
        ("x" * 31, ["Ensure this field has no more than 30 characters.", USERNAME_RULE]),
        ("al ice", [USERNAME_RULE]),
        ("al-ice", [USERNAME_RULE]),
        ("alice@home", [USERNAME_RULE]),
        ("álice", [USERNAME_RULE]),
        ("alice\u0661", [USERNAME_RULE]),  # an Arabic-Indic digit is not [0-9]
    ],
)
def test_signup_refuses_invalid_usernames(api_client, username, messages):
    response = signup(api_client, username=username)

    assert response.status_code == 400
    assert response.json() == error("validation_error", "Invalid input.", {"username": messages})
    assert not User.objects.exists()


@pytest.mark.django_db
def test_signup_refuses_a_username_taken_in_another_case(api_client):
    UserFactory(username="Alice")

    response = signup(api_client, username="aLICE")

    assert response.status_code == 400
    assert response.json() == error(
        "validation_error", "Invalid input.", {"username": ["That username is taken."]}
    )


@pytest.mark.django_db
def test_signup_refuses_an_email_taken_in_another_case(api_client):
    UserFactory(email="Alice@Example.com")

    response = signup(api_client, email="ALICE@example.COM")

    assert response.status_code == 400
    assert response.json() == error(
        "validation_error",
        "Invalid input.",
        {"email": ["An account with that email already exists."]},
    )


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["not-an-email", "alice@", "@example.com", "a b@example.com"])
def test_signup_refuses_an_invalid_email(api_client, email):
    response = signup(api_client, email=email)

    assert response.status_code == 400
    assert response.json() == error(
        "validation_error", "Invalid input.", {"email": ["Enter a valid email address."]}
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        (
            "alice",
            "Sh0rt!",
            "This password is too short. It must contain at least 8 characters.",
        ),
        ("alice", "qwertyuiop", "This password is too common."),
        ("alice", "8301945726", "This password is entirely numeric."),
        ("marmaladesky", "marmaladesky7", "The password is too similar to the username."),
    ],
)
def test_signup_refuses_weak_passwords(api_client, username, password, message):
    response = signup(api_client, username=username, password=password)

    assert response.status_code == 400
    body = response.json()
    assert body == error("validation_error", "Invalid input.", {"password": ANY})
    assert message in body["fields"]["password"]
    assert not User.objects.exists()


@pytest.mark.django_db
def test_signup_keeps_spaces_around_the_password(api_client):
    password = f"  {STRONG_PASSWORD}  "

    response = signup(api_client, password=password)

    assert response.status_code == 201
    user = User.objects.get(username="alice")
    assert user.check_password(password)
    assert not user.check_password(STRONG_PASSWORD)


@pytest.mark.django_db
def test_signup_reports_every_missing_field(api_client):
    response = api_client.post(SIGNUP, {}, format="json")

    assert response.status_code == 400
    required = ["This field is required."]
    assert response.json() == error(
        "validation_error",
        "Invalid input.",
        {"username": required, "email": required, "password": required},
    )


@pytest.mark.django_db
def test_signup_with_malformed_json_is_parse_error(api_client):
    response = api_client.post(SIGNUP, '{"username": "alice",', content_type="application/json")

    assert response.status_code == 400
    body = response.json()
    assert body == error("parse_error")
    assert body["detail"].startswith("JSON parse error")


@pytest.mark.django_db
def test_signup_with_a_json_array_is_validation_error(api_client):
    response = api_client.post(SIGNUP, "[1, 2]", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == error(
        "validation_error",
        "Invalid data. Expected a dictionary, but got list.",
        {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]},
    )


@pytest.mark.django_db
def test_signup_in_plain_text_is_unsupported_media_type(api_client):
    response = api_client.post(SIGNUP, "username=alice", content_type="text/plain")

    assert response.status_code == 415
    assert response.json() == error(
        "unsupported_media_type", 'Unsupported media type "text/plain" in request.'
    )


@pytest.mark.django_db
def test_signup_with_get_is_method_not_allowed(api_client):
    response = api_client.get(SIGNUP)

    assert response.status_code == 405
    assert response.json() == error("method_not_allowed", 'Method "GET" not allowed.')
