"""GET /api/v1/users/suggestions/: friends of friends by mutual count, then popular
accounts; never oneself or someone followed; precomputed for active users."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.utils import timezone

from friendships import suggestions, tasks
from tests.factories import FriendshipFactory, UserFactory
from tests.shapes import error, summary_json

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/suggestions/"


def follow(follower, *followees) -> None:
    for followee in followees:
        FriendshipFactory(follower=follower, followee=followee)


@pytest.fixture
def network():
    """me follows a and b; a follows x, y and me; b follows x and z; p is popular."""
    me, a, b, x, y, z, p = UserFactory.create_batch(7)
    fans = UserFactory.create_batch(3)
    follow(me, a, b)
    follow(a, x, y, me)
    follow(b, x, z)
    for fan in fans:
        follow(fan, p)
    return SimpleNamespace(me=me, a=a, b=b, x=x, y=y, z=z, p=p, fans=fans)


def test_friends_of_friends_by_mutual_count_then_popular_accounts(network, make_auth_client):
    n = network

    response = make_auth_client(n.me).get(URL)

    assert response.status_code == 200
    # x is followed by two of my follows, y and z by one (ties by id); then the rest by
    # follower count: p (3), then the fans (0, by id). Never me, a or b.
    assert response.json() == {
        "results": [summary_json(user) for user in (n.x, n.y, n.z, n.p, *n.fans)],
        "next": None,
        "previous": None,
    }


def test_new_user_gets_popular_accounts(make_auth_client):
    quiet, star, rising = UserFactory.create_batch(3)
    follow(UserFactory(), star, rising)
    follow(UserFactory(), star)
    me = UserFactory()

    response = make_auth_client(me).get(URL)

    ids = [user["id"] for user in response.json()["results"]]
    assert ids[:3] == [star.pk, rising.pk, quiet.pk]
    assert me.pk not in ids


def test_at_most_twenty(make_auth_client):
    UserFactory.create_batch(25)
    response = make_auth_client().get(URL)
    assert len(response.json()["results"]) == 20


def test_someone_followed_since_the_list_was_cached_is_left_out(network, make_auth_client):
    client = make_auth_client(network.me)
    first = [user["id"] for user in client.get(URL).json()["results"]]
    newcomer = UserFactory()
    follow(UserFactory(), newcomer)  # would rank after p if recomputed

    client.post(f"/api/v1/users/{network.x.username}/follow/")
    second = [user["id"] for user in client.get(URL).json()["results"]]

    assert second == [pk for pk in first if pk != network.x.pk]  # the cached list, minus x
    assert newcomer.pk not in second


def test_deactivated_user_is_left_out(network, make_auth_client):
    client = make_auth_client(network.me)
    client.get(URL)
    network.x.is_active = False
    network.x.save(update_fields=["is_active"])

    ids = [user["id"] for user in client.get(URL).json()["results"]]
    assert network.x.pk not in ids


def test_beat_task_precomputes_for_recently_active_users(network):
    me, a, b = network.me, network.a, network.b
    now = timezone.now()
    me.last_login = now - timedelta(hours=1)
    a.last_login = now - timedelta(days=30)
    for user in (me, a):
        user.save(update_fields=["last_login"])

    assert tasks.refresh_suggestions.delay().get() == 1

    cached = cache.get(suggestions._key(me.pk))
    assert cached is not None
    assert cached[0] == network.x.pk
    assert cache.get(suggestions._key(a.pk)) is None
    assert cache.get(suggestions._key(b.pk)) is None  # never logged in


def test_precomputed_list_is_served(network, make_auth_client):
    me = network.me
    popular = UserFactory()
    cache.set(suggestions._key(me.pk), [popular.pk], timeout=60)

    response = make_auth_client(me).get(URL)

    assert response.json()["results"] == [summary_json(popular)]


def test_suggestions_need_authentication(api_client):
    response = api_client.get(URL)
    assert response.status_code == 401
    assert response.json() == error("not_authenticated")
