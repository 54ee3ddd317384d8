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
