import copy
import os
import uuid

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from config.celery import app as celery_app
from tests.factories import UserFactory

REQUIRE_SERVICES = os.environ.get("CHIRP_REQUIRE_SERVICES") == "1"


def service_missing(reason: str) -> None:
    """Skip a test whose service is absent, except where CI requires every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service unavailable (CHIRP_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _isolated_environment(settings, tmp_path):
    """Each test gets its own media folder and cache namespace (Redis is shared between
    tests and xdist workers), throttling off unless the test turns it on, and Celery
    tasks run in-process unless the test starts a real worker."""
    settings.MEDIA_ROOT = tmp_path / "media"
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches
    settings.THROTTLE_ENABLED = False
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def authenticate(client: APIClient, user) -> APIClient:
    refresh = RefreshToken.for_user(user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh.access_token}")
    return client


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def auth_client(user) -> APIClient:
    return authenticate(APIClient(), user)


@pytest.fixture
def make_auth_client(db):
    def make(user=None) -> APIClient:
        return authenticate(APIClient(), user or UserFactory())

    return make
