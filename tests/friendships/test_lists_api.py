"""GET /api/v1/users/{username}/followers/ and /following/: user summaries, most recent
follow first, cursor-paginated, in a fixed number of queries."""

import pytest

from tests.factories import FriendshipFactory, UserFactory
from tests.shapes import error, page_link, summary_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_and_friends():
    """Alice followed by three users and following three, in a known order."""
    alice = UserFactory()
    fans = UserFactory.create_batch(3)
    idols = UserFactory.create_batch(3)
    followed = [FriendshipFactory(follower=fan, followee=alice) for fan in fans]
    following = [FriendshipFactory(follower=alice, followee=idol) for idol in idols]
    return alice, fans, idols, followed, following


@pytest.mark.parametrize("side", ["followers", "following"])
def test_list_is_most_recent_follow_first(alice_and_friends, api_client, side):
    alice, fans, idols, followed, following = alice_and_friends
    users, rows = (fans, followed) if side == "followers" else (idols, following)
    path = f"/api/v1/users/{alice.username}/{side}/"

    response = api_client.get(path)

    assert response.status_code == 200
    assert response.json() == {
        "results": [summary_json(user) for user in reversed(users)],
        "next": None,
        "previous": page_link(path, rows[-1].pk, reverse=True),
    }


def test_follow_again_later_moves_to_the_top(make_auth_client, api_client):
    alice, bob, carol = UserFactory.create_batch(3)
    bobs = make_auth_client(bob)
    bobs.post(f"/api/v1/users/{alice.username}/follow/")
    make_auth_client(carol).post(f"/api/v1/users/{alice.username}/follow/")
    bobs.delete(f"/api/v1/users/{alice.username}/follow/")
    bobs.post(f"/api/v1/users/{alice.username}/follow/")

    response = api_client.get(f"/api/v1/users/{alice.username}/followers/")

    assert [user["username"] for user in response.json()["results"]] == [
        bob.username,
        carol.username,
    ]


@pytest.mark.parametrize("side", ["followers", "following"])
def test_list_pages_with_cursors(alice_and_friends, api_client, side):
    alice, fans, idols, followed, following = alice_and_friends
    users, rows = (fans, followed) if side == "followers" else (idols, following)
    path = f"/api/v1/users/{alice.username}/{side}/"

    first = api_client.get(path, {"page_size": 2}).json()
    assert first == {
        "results": [summary_json(users[2]), summary_json(users[1])],
        "next": page_link(path, rows[1].pk, page_size=2),
        "previous": page_link(path, rows[2].pk, reverse=True, page_size=2),
    }
    second = api_client.get(first["next"]).json()
    assert second == {
        "results": [summary_json(users[0])],
        "next": None,
        "previous": page_link(path, rows[0].pk, reverse=True, page_size=2),
    }
    back = api_client.get(second["previous"]).json()
    assert back["results"] == first["results"]


def test_lists_never_show_emails(alice_and_friends, api_client):
    alice = alice_and_friends[0]
    for side in ("followers", "following"):
        response = api_client.get(f"/api/v1/users/{alice.username}/{side}/")
        assert "email" not in response.content.decode()
        assert all(
            set(user) == {"id", "username", "display_name", "avatar_url"}
            for user in response.json()["results"]
        )


def test_lists_skip_deactivated_users(alice_and_friends, api_client):
    alice, fans, *_ = alice_and_friends
    fans[1].is_active = False
    fans[1].save(update_fields=["is_active"])

    response = api_client.get(f"/api/v1/users/{alice.username}/followers/")

    assert response.json()["results"] == [summary_json(fans[2]), summary_json(fans[0])]


def test_lists_of_unknown_user_are_404(api_client):
    for side in ("followers", "following"):
        response = api_client.get(f"/api/v1/users/nobody/{side}/")
        assert response.status_code == 404
        assert response.json() == error("not_found")


@pytest.mark.parametrize("side", ["followers", "following"])
@pytest.mark.parametrize("page_size", [1, 20])
def test_list_query_count_is_fixed(
    api_client, make_auth_client, django_assert_num_queries, side, page_size
):
    alice = UserFactory()
    for _ in range(21):
        other = UserFactory()
        if side == "followers":
            FriendshipFactory(follower=other, followee=alice)
        else:
            FriendshipFactory(follower=alice, followee=other)
    path = f"/api/v1/users/{alice.username}/{side}/"

    # Anonymous: the user, then the page with the users joined in.
    with django_assert_num_queries(2):
        response = api_client.get(path, {"page_size": page_size})
    assert len(response.json()["results"]) == page_size

    # Signed in: one more, the JWT's user.
    client = make_auth_client()
    with django_assert_num_queries(3):
        response = client.get(path, {"page_size": page_size})
    assert len(response.json()["results"]) == page_size
