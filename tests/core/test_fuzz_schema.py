"""Property-based fuzzing of every operation in the OpenAPI schema (docs/reliability.md):
schemathesis generates requests from /api/schema/ and sends them in-process, signed in;
nothing may answer 5xx, and responses must match the documented schema."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.factories import UserFactory


@pytest.fixture
def keep_test_connection():
    """Django's WSGI handler closes the database connection around each request; inside a
    test transaction that connection is the test's own. Its test client switches this off
    the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(db, keep_test_connection):
    user = UserFactory(username="fuzzer")
    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


# The schema view needs no database, so loading it at collection time is safe.
# Facebook operations talk to the Graph API; tests/facebook_connect covers them against a
# fake Graph server.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application).exclude(
    path_regex="facebook"
)


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_operation_errors_on_generated_input(case, bearer):
    case.call_and_validate(
        headers=bearer,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
