"""Input the database or the parser cannot take is the client's mistake: a 400 in the
envelope, never a 500 (docs/reliability.md trap 14). PostgreSQL refuses NUL in any text value,
so on PostgreSQL these used to answer 500; on SQLite they must answer the same 400."""

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from tests.shapes import error

pytestmark = pytest.mark.django_db

NUL_IN_URL = error("bad_request", "Null characters are not allowed in the URL.")
NUL_IN_FIELD = ["Null characters are not allowed."]


# --- NUL in the path or the query string ---------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/users/?search=a%00b",
        "/api/v1/tweets/?q=a%00b",
        "/api/v1/tweets/?hashtag=a%00b",
        "/api/v1/users/us%00er/",
        "/api/v1/users/us%00er/followers/",
        "/api/v1/users/us%00er/following/",
        "/api/v1/users/us%00er/tweets/",
        "/api/v1/tweets/?cursor=a%00b",
        "/api/v1/tweets/?hashtag=django&page_size=1%00",
        "/api/v1/users/?search%00=al",
        "/api/v1/newsfeed/?cursor=%00",
        "/api/v1/notifications/?unread=true%00",
        "/api/v1/auth/facebook/authorize/?next=/%00",
        "/api/v1/no%00where/",
        "/admin/login/?next=/admin/%00",
    ],
)
def test_a_nul_in_the_url_is_400(auth_client, url):
    response = auth_client.get(url)

    assert response.status_code == 400
    assert response.json() == NUL_IN_URL


def test_a_nul_in_the_url_of_a_write_is_400(auth_client):
    response = auth_client.post("/api/v1/users/us%00er/follow/")

    assert response.status_code == 400
    assert response.json() == NUL_IN_URL


def test_a_percent_sign_that_is_not_a_nul_is_fine(auth_client):
    response = auth_client.get("/api/v1/users/?search=%2500")

    assert response.status_code == 200


# --- NUL in bodies: DRF's CharField refuses it, whatever the content type --------------------


@pytest.mark.parametrize("content_type", ["json", "multipart"])
def test_a_nul_in_a_tweet_is_400(auth_client, content_type):
    response = auth_client.post("/api/v1/tweets/", {"text": "a\x00b"}, format=content_type)

    assert response.status_code == 400
    assert response.json() == error("validation_error", "Invalid input.", {"text": NUL_IN_FIELD})


@pytest.mark.parametrize("field", ["bio", "username", "display_name", "location"])
def test_a_nul_in_a_profile_field_is_400(auth_client, field):
    response = auth_client.patch("/api/v1/me/", {field: "a\x00b"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert response.json()["fields"][field][0] == NUL_IN_FIELD[0]


def test_a_nul_in_a_form_encoded_field_is_400(auth_client):
    response = auth_client.patch(
        "/api/v1/me/", "bio=a%00b", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert response.json() == error("validation_error", "Invalid input.", {"bio": NUL_IN_FIELD})


def test_a_nul_in_login_credentials_is_400(api_client):
    response = api_client.post(
        "/api/v1/auth/login/", {"username": "a\x00b", "password": "secret"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == error(
        "validation_error", "Invalid input.", {"username": NUL_IN_FIELD}
    )


def test_a_lone_surrogate_in_a_json_string_is_400(auth_client):
    # JSON may spell one (\ud800); UTF-8, and so the database, cannot hold it.
    response = auth_client.post(
        "/api/v1/tweets/", '{"text": "a\\ud800b"}', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"text": ["Surrogate characters are not allowed: U+D800."]}


# --- JSON nested deeper than the parser allows ---------------------------------------------

DEEP = "[" * 5000 + "]" * 5000
TOO_DEEP = error("parse_error", "JSON parse error - nested deeper than 32 levels")


@pytest.mark.parametrize(
    ("method", "url"),
    [("post", "/api/v1/auth/login/"), ("post", "/api/v1/tweets/"), ("patch", "/api/v1/me/")],
)
def test_json_nested_5000_deep_is_a_parse_error(auth_client, method, url):
    response = getattr(auth_client, method)(url, DEEP, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == TOO_DEEP


def test_json_nested_just_over_the_limit_is_a_parse_error(auth_client):
    body = '{"text": "hi", "extra": ' + "[" * 32 + "]" * 32 + "}"

    response = auth_client.post("/api/v1/tweets/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == TOO_DEEP


def test_json_nested_to_the_limit_is_parsed(auth_client):
    body = '{"text": "hi", "extra": ' + "[" * 31 + "]" * 31 + "}"

    response = auth_client.post("/api/v1/tweets/", body, content_type="application/json")

    # Parsed: the answer is about the field (strict input), not a parse error.
    assert response.status_code == 400
    assert response.json() == error(
        "validation_error", "Invalid input.", {"extra": ["Unknown field."]}
    )


def test_brackets_inside_json_strings_do_not_count_as_nesting(auth_client):
    text = '[{"\\"' * 40  # brackets, quotes and escapes, all inside one string

    response = auth_client.post("/api/v1/tweets/", {"text": text}, format="json")

    assert response.status_code == 201
    assert response.json()["text"] == text


# --- a correctly signed token whose user id is not an id -----------------------------------

BAD_USER_IDS = ["abc", "", "-1", "1.5", "\u0661", 1.5, [1], {"id": 1}, None, True, 0, 2**63]


def signed_token_with_user_id(user, user_id) -> str:
    token = AccessToken.for_user(user)  # signed with our key, so only the claim is wrong
    token["user_id"] = user_id
    return str(token)


@pytest.mark.parametrize("user_id", BAD_USER_IDS, ids=repr)
def test_a_signed_token_whose_user_id_is_not_an_id_is_401(api_client, user, user_id):
    token = signed_token_with_user_id(user, user_id)

    response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401
    assert response.json() == error("authentication_failed", "Token is invalid or expired.")


@pytest.mark.parametrize("as_type", [str, int])  # simplejwt signs a string; an int is fine too
def test_a_signed_token_with_a_real_user_id_works(api_client, user, as_type):
    token = signed_token_with_user_id(user, as_type(user.pk))

    response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    assert response.json()["id"] == user.pk
