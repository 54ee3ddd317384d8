import pytest

from tests.factories import UserFactory


@pytest.fixture
def erin(db):
    return UserFactory(username="erin")


@pytest.fixture
def erin_client(erin, make_auth_client):
    return make_auth_client(erin)
