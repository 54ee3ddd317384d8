import pytest

from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.shapes import ANY, error, me_json

LOGIN = "/api/v1/auth/login/"

# MD5 keeps most of these fast; the tests marked real_password_hasher prove the same on
# the production hasher, including the dummy hash an unknown user costs.
pytestmark = pytest.mark.django_db

BAD_CREDENTIALS = error("authentication_failed", "Incorrect username or password.")


def login(client, username, password=DEFAULT_PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password}, format="json")


@pytest.fixture
def alice(db):
    return UserFactory(username="Alice", email="Alice.Smith@Example.com")


@pytest.mark.parametrize(
    "identifier", ["Alice", "alice", "ALICE", "Alice.Smith@Example.com", "alice.smith@example.COM"]
)
def test_login_by_username_or_email_in_any_case(api_client, alice, identifier):
    response = login(api_client, identifier)

    assert response.status_code == 200
    assert response.json() == {"user": me_json(alice), "access": ANY, "refresh": ANY}


def test_login_tokens_authenticate_as_the_user(api_client, alice):
    body = login(api_client, "alice").json()

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    response = api_client.get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["id"] == alice.pk


def test_login_ignores_a_stale_bearer_header(api_client, alice):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")

    response = login(api_client, "alice")

    assert response.status_code == 200


@pytest.mark.real_password_hasher
def test_wrong_password_and_unknown_user_get_the_same_401(api_client, alice):
    wrong_password = login(api_client, "alice", "not-the-password-123")
    unknown_user = login(api_client, "nobody", "not-the-password-123")
    unknown_email = login(api_client, "nobody@example.com", DEFAULT_PASSWORD)

    for response in (wrong_password, unknown_user, unknown_email):
        assert response.status_code == 401
        assert response.json() == BAD_CREDENTIALS
    assert wrong_password.content == unknown_user.content == unknown_email.content


def test_login_refuses_an_inactive_user_like_a_wrong_password(api_client):
    UserFactory(username="gone", is_active=False)

    response = login(api_client, "gone")

    assert response.status_code == 401
    assert response.json() == BAD_CREDENTIALS


def test_login_does_not_trim_the_password(api_client, alice):
    response = login(api_client, "alice", f" {DEFAULT_PASSWORD} ")

    assert response.status_code == 401
    assert response.json() == BAD_CREDENTIALS


def test_login_records_last_login(api_client, alice):
    assert alice.last_login is None

    login(api_client, "alice")

    alice.refresh_from_db()
    assert alice.last_login is not None


def test_login_without_fields_is_validation_error(api_client):
    response = api_client.post(LOGIN, {}, format="json")

    assert response.status_code == 400
    required = ["This field is required."]
    assert response.json() == error(
        "validation_error", "Invalid input.", {"username": required, "password": required}
    )
