import copy
import os
import uuid

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from config.celery import app as celery_app
from core import outages
from tests.factories import UserFactory

REQUIRE_SERVICES = os.environ.get("CHIRP_REQUIRE_SERVICES") == "1"


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers",
        "real_password_hasher: hash passwords with the production hasher (PBKDF2), not MD5",
    )


def service_missing(reason: str) -> None:
    """Skip a test whose service is absent, except where CI requires every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service unavailable (CHIRP_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _isolated_environment(settings, tmp_path):
    """Each test gets its own media folder, cache namespace and channel-layer prefix (Redis
    is shared between tests and xdist workers, whose databases repeat user ids, hence
    `user.<id>` groups), throttling off unless the test turns it on, Celery tasks run
    in-process unless the test starts a real worker, and no degraded-mode event counted yet
    (core.outages)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    storages = copy.deepcopy(settings.STORAGES)
    storages["exports"]["OPTIONS"]["location"] = str(tmp_path / "exports")
    settings.STORAGES = storages
    namespace = f"test-{uuid.uuid4().hex}"
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = namespace
    settings.CACHES = caches
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    if "CONFIG" in layers["default"]:
        layers["default"]["CONFIG"]["prefix"] = namespace
    settings.CHANNEL_LAYERS = layers  # also gives each test a fresh in-memory layer
    settings.THROTTLE_ENABLED = False
    outages.reset()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


@pytest.fixture(autouse=True)
def _fast_password_hasher(request, settings):
    """MD5 keeps factories and logins fast. Tests about logins and passwords opt out with
    @pytest.mark.real_password_hasher to run on the hasher production uses."""
    if request.node.get_closest_marker("real_password_hasher") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def set_throttle_rates(settings, **rates: str) -> None:
    """Throttles on, with these rates over the configured ones (`login="2/min"`)."""
    settings.THROTTLE_ENABLED = True
    rest_framework = copy.deepcopy(settings.REST_FRAMEWORK)
    rest_framework["DEFAULT_THROTTLE_RATES"].update(rates)
    settings.REST_FRAMEWORK = rest_framework


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


# Two plain users and their clients, for tests about one user acting on another.
@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


@pytest.fixture
def alice_client(alice, make_auth_client):
    return make_auth_client(alice)


@pytest.fixture
def bob_client(bob, make_auth_client):
    return make_auth_client(bob)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): ...` runs the block's on-commit callbacks (fan-out, cache, pushes)."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run
