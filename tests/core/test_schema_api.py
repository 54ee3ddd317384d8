import pytest
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

# Every accounts operation of docs/api.md, with the statuses the accounts tests prove it answers.
ACCOUNTS_OPERATIONS = {
    ("/api/v1/auth/signup/", "post"): {"201", "400"},
    ("/api/v1/auth/login/", "post"): {"200", "400", "401"},
    ("/api/v1/auth/token/refresh/", "post"): {"200", "400", "401"},
    ("/api/v1/auth/logout/", "post"): {"204", "400", "401"},
    ("/api/v1/auth/email/verify/", "post"): {"200", "400"},
    ("/api/v1/auth/email/resend/", "post"): {"202", "401"},
    ("/api/v1/auth/password/change/", "post"): {"204", "400", "401"},
    ("/api/v1/auth/password/reset/", "post"): {"202", "400"},
    ("/api/v1/auth/password/reset/confirm/", "post"): {"204", "400"},
    ("/api/v1/me/", "get"): {"200", "401"},
    ("/api/v1/me/", "patch"): {"200", "400", "401", "413"},
    ("/api/v1/me/avatar/", "delete"): {"204", "401"},
    ("/api/v1/users/", "get"): {"200", "400"},
    ("/api/v1/users/{username}/", "get"): {"200", "404"},
}

# Every path of the API and its methods, as the schema lists them: a change of routing that
# adds, drops or moves one fails here.
API_OPERATIONS = [
    ("/api/v1/auth/email/resend/", "POST"),
    ("/api/v1/auth/email/verify/", "POST"),
    ("/api/v1/auth/facebook/", "POST"),
    ("/api/v1/auth/facebook/authorize/", "GET"),
    ("/api/v1/auth/facebook/callback/", "GET"),
    ("/api/v1/auth/login/", "POST"),
    ("/api/v1/auth/logout/", "POST"),
    ("/api/v1/auth/password/change/", "POST"),
    ("/api/v1/auth/password/reset/", "POST"),
    ("/api/v1/auth/password/reset/confirm/", "POST"),
    ("/api/v1/auth/signup/", "POST"),
    ("/api/v1/auth/token/refresh/", "POST"),
    ("/api/v1/blocks/", "GET"),
    ("/api/v1/bookmarks/", "GET"),
    ("/api/v1/comments/{id}/", "DELETE"),
    ("/api/v1/comments/{id}/like/", "DELETE POST"),
    ("/api/v1/conversations/", "GET POST"),
    ("/api/v1/conversations/{id}/messages/", "GET POST"),
    ("/api/v1/conversations/{id}/participants/", "POST"),
    ("/api/v1/conversations/{id}/participants/me/", "DELETE"),
    ("/api/v1/conversations/{id}/read/", "POST"),
    ("/api/v1/facebook/data-deletion/", "POST"),
    ("/api/v1/facebook/data-deletion/{confirmation_code}/", "GET"),
    ("/api/v1/facebook/deauthorize/", "POST"),
    ("/api/v1/facebook/shares/{id}/", "GET"),
    ("/api/v1/follow-requests/", "GET"),
    ("/api/v1/follow-requests/{username}/accept/", "POST"),
    ("/api/v1/follow-requests/{username}/reject/", "POST"),
    ("/api/v1/me/", "DELETE GET PATCH"),
    ("/api/v1/me/avatar/", "DELETE"),
    ("/api/v1/me/exports/", "GET POST"),
    ("/api/v1/me/exports/{id}/", "GET"),
    ("/api/v1/me/exports/{id}/download/", "GET"),
    ("/api/v1/me/facebook/", "DELETE GET POST"),
    ("/api/v1/me/facebook/friends/", "GET"),
    ("/api/v1/me/facebook/sync/", "POST"),
    ("/api/v1/me/notification-settings/", "GET PATCH"),
    ("/api/v1/mutes/", "GET"),
    ("/api/v1/newsfeed/", "GET"),
    ("/api/v1/notifications/", "GET"),
    ("/api/v1/notifications/mark-all-read/", "POST"),
    ("/api/v1/notifications/unread-count/", "GET"),
    ("/api/v1/notifications/{id}/", "PATCH"),
    ("/api/v1/reports/", "GET POST"),
    ("/api/v1/trends/", "GET"),
    ("/api/v1/tweets/", "GET POST"),
    ("/api/v1/tweets/{id}/", "DELETE GET PATCH"),
    ("/api/v1/tweets/{id}/bookmark/", "DELETE POST"),
    ("/api/v1/tweets/{id}/comments/", "GET POST"),
    ("/api/v1/tweets/{id}/context/", "GET"),
    ("/api/v1/tweets/{id}/history/", "GET"),
    ("/api/v1/tweets/{id}/like/", "DELETE POST"),
    ("/api/v1/tweets/{id}/likes/", "GET"),
    ("/api/v1/tweets/{id}/pin/", "DELETE POST"),
    ("/api/v1/tweets/{id}/replies/", "GET"),
    ("/api/v1/tweets/{id}/retweet/", "DELETE POST"),
    ("/api/v1/tweets/{tweet_id}/share/facebook/", "POST"),
    ("/api/v1/users/", "GET"),
    ("/api/v1/users/suggestions/", "GET"),
    ("/api/v1/users/{username}/", "GET"),
    ("/api/v1/users/{username}/block/", "DELETE POST"),
    ("/api/v1/users/{username}/follow/", "DELETE POST"),
    ("/api/v1/users/{username}/followers/", "GET"),
    ("/api/v1/users/{username}/following/", "GET"),
    ("/api/v1/users/{username}/mute/", "DELETE POST"),
    ("/api/v1/users/{username}/tweets/", "GET"),
]


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Chirp API"
    validate_schema(schema)


@pytest.mark.parametrize(("path", "method"), sorted(ACCOUNTS_OPERATIONS))
def test_schema_describes_every_accounts_operation(schema, path, method):
    assert path in schema["paths"], f"{path} is missing from the schema"
    operation = schema["paths"][path].get(method)
    assert operation is not None, f"{method.upper()} {path} is missing from the schema"
    documented = set(operation["responses"])
    assert ACCOUNTS_OPERATIONS[(path, method)] <= documented


def test_the_schema_lists_every_operation_of_the_api_and_no_other(schema):
    operations = [
        (path, " ".join(sorted(method.upper() for method in methods if method != "parameters")))
        for path, methods in sorted(schema["paths"].items())
    ]

    assert operations == API_OPERATIONS


def test_schema_documents_jwt_bearer_auth(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["jwtAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


def test_me_patch_accepts_multipart_for_the_avatar(schema):
    content = schema["paths"]["/api/v1/me/"]["patch"]["requestBody"]["content"]
    assert "multipart/form-data" in content
    assert "application/json" in content


def test_public_shapes_never_carry_an_email(schema):
    components = schema["components"]["schemas"]
    assert "email" not in components["UserSummary"]["properties"]
    assert "email" not in components["Profile"]["properties"]
    assert "email" in components["Me"]["properties"]


def test_swagger_ui_answers(api_client):
    response = api_client.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"swagger" in response.content.lower()


def test_bearer_jwt_is_the_only_scheme_swagger_offers(schema):
    assert schema["components"]["securitySchemes"] == {
        "jwtAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    assert schema["paths"]["/api/v1/me/"]["get"]["security"] == [{"jwtAuth": []}]


def test_every_operation_documents_400(schema):
    # Any URL may be refused with 400 (a NUL in the path or the query string), and a
    # DELETE such as unfollowing oneself answers 400 cannot_follow_self.
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "400" in operation["responses"], f"{method.upper()} {path}"
