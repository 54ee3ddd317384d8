from urllib.parse import parse_qs, urlsplit

import pytest

from tests.factories import UserFactory
from tests.shapes import ANY, cursor, error, profile_json, summary_json

USERS = "/api/v1/users/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(db):
    return UserFactory(
        username="Alice",
        email="alice.secret@example.com",
        display_name="Alice Liddell",
        bio="Down the rabbit hole",
        location="Oxford",
        website="https://alice.example",
    )


# --- profile -----------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["Alice", "alice", "ALICE"])
def test_profile_by_username_in_any_case(api_client, alice, username):
    response = api_client.get(f"{USERS}{username}/")

    assert response.status_code == 200
    assert response.json() == profile_json(alice)


def test_profile_for_a_signed_in_viewer_has_false_flags(make_auth_client, alice):
    response = make_auth_client().get(f"{USERS}alice/")

    assert response.status_code == 200
    assert response.json() == profile_json(alice, is_following=False, follows_you=False)


def test_profile_never_shows_the_email(make_auth_client, alice):
    for client in (make_auth_client(), make_auth_client(alice)):
        response = client.get(f"{USERS}alice/")

        assert "email" not in response.json()
        assert "email_verified" not in response.json()
        assert b"alice.secret" not in response.content
        assert b"example.com" not in response.content


def test_profile_of_an_unknown_user_is_404(api_client):
    response = api_client.get(f"{USERS}nobody/")

    assert response.status_code == 404
    assert response.json() == error("not_found", "No user with that username.")


def test_profile_of_an_inactive_user_is_404(api_client):
    UserFactory(username="gone", is_active=False)

    response = api_client.get(f"{USERS}gone/")

    assert response.status_code == 404
    assert response.json() == error("not_found", "No user with that username.")


def test_profile_with_an_impossible_username_is_404(api_client):
    response = api_client.get(f"{USERS}not-a-name/")

    assert response.status_code == 404
    assert response.json() == error("not_found", "Not found.")


# --- search ------------------------------------------------------------------------------


def test_search_matches_username_or_display_name_prefix_in_any_case(api_client):
    by_username = UserFactory(username="ALbert", display_name="Bert")
    by_display_name = UserFactory(username="zed", display_name="alma Zed")
    UserFactory(username="xalx", display_name="Not al prefix")
    UserFactory(username="alfred", display_name="Alfred", is_active=False)

    response = api_client.get(f"{USERS}?search=aL")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "results": [summary_json(by_display_name), summary_json(by_username)],
        "next": None,
        "previous": ANY,
    }
    previous = urlsplit(body["previous"])
    assert previous.path == USERS
    assert parse_qs(previous.query) == {
        "search": ["aL"],
        "cursor": [cursor(by_display_name.pk, reverse=True)],
    }


def test_search_without_a_term_lists_active_users_newest_first(api_client):
    first, second = UserFactory(), UserFactory()
    UserFactory(is_active=False)

    response = api_client.get(USERS)

    assert response.status_code == 200
    assert response.json()["results"] == [summary_json(second), summary_json(first)]


def test_search_treats_like_wildcards_literally(api_client):
    UserFactory(username="under_score")
    UserFactory(username="underXscore")

    response = api_client.get(f"{USERS}?search=under_")

    assert [item["username"] for item in response.json()["results"]] == ["under_score"]
    assert api_client.get(f"{USERS}?search=%25").json()["results"] == []


def test_search_results_never_show_emails(api_client, alice):
    response = api_client.get(f"{USERS}?search=al")

    assert response.json()["results"] == [summary_json(alice)]
    assert b"alice.secret" not in response.content
    assert b"@" not in response.content


def test_search_results_are_paginated(api_client):
    users = [UserFactory(username=f"al{n}") for n in range(5)]

    first = api_client.get(f"{USERS}?search=al&page_size=2").json()
    second = api_client.get(first["next"]).json()
    third = api_client.get(second["next"]).json()

    assert [u["id"] for u in first["results"]] == [users[4].pk, users[3].pk]
    assert [u["id"] for u in second["results"]] == [users[2].pk, users[1].pk]
    assert [u["id"] for u in third["results"]] == [users[0].pk]
    assert third["next"] is None
    assert "search=al" in second["next"]


# --- query counts ------------------------------------------------------------------------


def test_profile_query_count_anonymous(api_client, alice, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = api_client.get(f"{USERS}alice/")
    assert response.status_code == 200


def test_profile_query_count_signed_in(make_auth_client, alice, django_assert_num_queries):
    client = make_auth_client()

    # One to authenticate the bearer token, one for the profile and its viewer flags.
    with django_assert_num_queries(2):
        response = client.get(f"{USERS}alice/")
    assert response.status_code == 200


@pytest.mark.parametrize("page_size", [1, 20])
def test_search_query_count_is_the_same_for_one_item_and_a_full_page(
    api_client, django_assert_num_queries, page_size
):
    UserFactory.create_batch(25, display_name="Alpha")

    with django_assert_num_queries(1):
        response = api_client.get(f"{USERS}?search=al&page_size={page_size}")
    assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize("page_size", [1, 20])
def test_search_query_count_signed_in(make_auth_client, django_assert_num_queries, page_size):
    client = make_auth_client()
    UserFactory.create_batch(25, display_name="Alpha")

    with django_assert_num_queries(2):
        response = client.get(f"{USERS}?search=al&page_size={page_size}")
    assert len(response.json()["results"]) == page_size
