"""POST/DELETE /api/v1/users/{username}/follow/ and the viewer flags on profiles."""

import pytest
from django.db import IntegrityError

from friendships.models import Friendship
from tests.factories import FriendshipFactory, UserFactory
from tests.shapes import error, profile_json

pytestmark = pytest.mark.django_db


def follow_url(user) -> str:
    return f"/api/v1/users/{user.username}/follow/"


def counts(user) -> tuple[int, int]:
    user.refresh_from_db()
    return user.followers_count, user.following_count


def test_follow_answers_the_followees_new_profile(make_auth_client):
    me, alice = UserFactory(), UserFactory(bio="hi", location="Paris")
    FriendshipFactory(follower=alice, followee=me)

    response = make_auth_client(me).post(follow_url(alice))

    assert response.status_code == 200
    alice.refresh_from_db()
    assert response.json() == profile_json(
        alice, followers_count=1, following_count=1, is_following=True, follows_you=True
    )
    assert Friendship.objects.filter(follower=me, followee=alice).count() == 1


def test_follow_is_idempotent(make_auth_client):
    me, alice = UserFactory(), UserFactory()
    client = make_auth_client(me)

    first = client.post(follow_url(alice))
    second = client.post(follow_url(alice))

    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second.json()["followers_count"] == 1
    assert Friendship.objects.filter(follower=me, followee=alice).count() == 1
    assert counts(alice) == (1, 0)
    assert counts(me) == (0, 1)


def test_unfollow_is_idempotent(make_auth_client):
    me, alice = UserFactory(), UserFactory()
    FriendshipFactory(follower=me, followee=alice)
    client = make_auth_client(me)

    first = client.delete(follow_url(alice))
    second = client.delete(follow_url(alice))

    assert first.status_code == second.status_code == 200
    alice.refresh_from_db()
    assert first.json() == second.json() == profile_json(alice, followers_count=0)
    assert not Friendship.objects.exists()
    assert counts(alice) == (0, 0)
    assert counts(me) == (0, 0)


def test_unfollow_someone_never_followed_is_a_noop(make_auth_client):
    me, alice, bob = UserFactory.create_batch(3)
    FriendshipFactory(follower=bob, followee=alice)

    response = make_auth_client(me).delete(follow_url(alice))

    assert response.status_code == 200
    assert response.json()["followers_count"] == 1
    assert counts(alice) == (1, 0)
    assert counts(me) == (0, 0)


def test_follow_self_is_400(make_auth_client):
    me = UserFactory()
    client = make_auth_client(me)

    for method in (client.post, client.delete):
        response = method(follow_url(me))
        assert response.status_code == 400
        assert response.json() == error("cannot_follow_self")
    assert not Friendship.objects.exists()
    assert counts(me) == (0, 0)


def test_follow_matches_the_username_without_regard_to_case(make_auth_client):
    me, alice = UserFactory(), UserFactory(username="Alice")
    response = make_auth_client(me).post("/api/v1/users/aLICE/follow/")
    assert response.status_code == 200
    assert response.json()["username"] == "Alice"
    assert counts(alice) == (1, 0)


def test_follow_unknown_user_is_404(auth_client):
    for method in (auth_client.post, auth_client.delete):
        response = method("/api/v1/users/nobody/follow/")
        assert response.status_code == 404
        assert response.json() == error("not_found")


def test_follow_inactive_user_is_404(auth_client):
    gone = UserFactory(is_active=False)
    response = auth_client.post(follow_url(gone))
    assert response.status_code == 404
    assert response.json() == error("not_found")


def test_follow_needs_authentication(api_client):
    alice = UserFactory()
    for method in (api_client.post, api_client.delete):
        response = method(follow_url(alice))
        assert response.status_code == 401
        assert response.json() == error("not_authenticated")
    assert counts(alice) == (0, 0)


def test_counters_are_exact_after_a_sequence(make_auth_client):
    me, alice, bob, carol = UserFactory.create_batch(4)
    mine, bobs = make_auth_client(me), make_auth_client(bob)

    mine.post(follow_url(alice))
    mine.post(follow_url(alice))
    mine.post(follow_url(bob))
    bobs.post(follow_url(alice))
    bobs.post(follow_url(me))
    mine.delete(follow_url(bob))
    mine.delete(follow_url(bob))
    make_auth_client(carol).post(follow_url(alice))
    make_auth_client(carol).delete(follow_url(carol))  # refused: no change

    assert counts(alice) == (3, 0)
    assert counts(bob) == (0, 2)
    assert counts(me) == (1, 1)
    assert counts(carol) == (0, 1)
    for user in (me, alice, bob, carol):
        assert user.followers_count == Friendship.objects.filter(followee=user).count()
        assert user.following_count == Friendship.objects.filter(follower=user).count()


def test_profile_shows_the_viewers_flags(make_auth_client, api_client):
    me, alice, bob = UserFactory.create_batch(3)
    FriendshipFactory(follower=me, followee=alice)
    FriendshipFactory(follower=bob, followee=me)
    client = make_auth_client(me)
    alice.refresh_from_db()
    bob.refresh_from_db()

    response = client.get(f"/api/v1/users/{alice.username}/")
    assert response.status_code == 200
    assert response.json() == profile_json(alice, is_following=True, follows_you=False)

    response = client.get(f"/api/v1/users/{bob.username}/")
    assert response.json() == profile_json(bob, is_following=False, follows_you=True)

    response = api_client.get(f"/api/v1/users/{alice.username}/")
    assert response.status_code == 200
    assert response.json() == profile_json(alice, is_following=False, follows_you=False)


def test_database_refuses_a_self_friendship():
    me = UserFactory()
    with pytest.raises(IntegrityError):
        Friendship.objects.create(follower=me, followee=me)


def test_database_refuses_a_duplicate_friendship():
    me, alice = UserFactory.create_batch(2)
    Friendship.objects.create(follower=me, followee=alice)
    with pytest.raises(IntegrityError):
        Friendship.objects.create(follower=me, followee=alice)
