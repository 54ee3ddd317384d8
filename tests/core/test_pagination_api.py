import base64

import pytest

from tests.factories import UserFactory
from tests.shapes import cursor, error, page_link

USERS = "/api/v1/users/"

pytestmark = pytest.mark.django_db


def ids(body) -> list[int]:
    return [item["id"] for item in body["results"]]


def raw_cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_page_size_defaults_to_20(api_client):
    users = UserFactory.create_batch(25)

    body = api_client.get(USERS).json()

    assert ids(body) == [u.pk for u in reversed(users)][:20]
    assert body["next"].startswith(f"http://testserver{USERS}?cursor=")
    assert body["previous"].startswith(f"http://testserver{USERS}?cursor=")


def test_page_size_is_capped_at_100(api_client):
    UserFactory.create_batch(105)

    body = api_client.get(f"{USERS}?page_size=500").json()

    assert len(body["results"]) == 100
    assert body["next"] is not None
    assert "page_size=500" in body["next"]


def test_the_last_page_has_no_next(api_client):
    users = UserFactory.create_batch(3)

    body = api_client.get(f"{USERS}?page_size=3").json()

    assert ids(body) == [u.pk for u in reversed(users)]
    assert body["next"] is None


def test_an_empty_list_has_no_links(api_client):
    assert api_client.get(USERS).json() == {"results": [], "next": None, "previous": None}


@pytest.mark.parametrize("page_size", ["0", "-3", "abc", "1.5", "2e3"])
def test_an_invalid_page_size_is_400(api_client, page_size):
    response = api_client.get(f"{USERS}?page_size={page_size}")

    assert response.status_code == 400
    assert response.json() == error("invalid_page_size")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        "Zm9v",  # "foo"
        raw_cursor("x:10"),
        raw_cursor("n:ten"),
        raw_cursor("n:1:2"),
        raw_cursor("n:" + "9" * 40),  # beyond any database integer
        raw_cursor("p:-" + "9" * 40),
        "%FF%FE",
        raw_cursor("p=ten"),
        raw_cursor("p=" + "9" * 40),  # beyond any database integer
        raw_cursor("p=-" + "9" * 40),
        raw_cursor("p=1.5"),
        raw_cursor("p="),
        raw_cursor("p=1&p=2"),  # a key of two columns for a list ordered by one
        raw_cursor("r=2&p=1"),
        raw_cursor("o=1&p=1"),  # DRF's offsets: never issued, keys are unique
        raw_cursor("r=1"),
        raw_cursor("p=1%00"),
        cursor(1)[:-2],  # cut short: bad padding
    ],
)
def test_a_tampered_cursor_is_400_not_500(api_client, cursor):
    UserFactory.create_batch(2)

    response = api_client.get(f"{USERS}?cursor={cursor}")

    assert response.status_code == 400
    assert response.json() == error("invalid_cursor", "The pagination cursor is invalid.")


def test_following_next_never_repeats_or_skips_while_users_arrive(api_client):
    existing = UserFactory.create_batch(7)
    expected = [u.pk for u in reversed(existing)]

    seen: list[int] = []
    url = f"{USERS}?page_size=3"
    while url:
        body = api_client.get(url).json()
        seen += ids(body)
        UserFactory.create_batch(2)  # new arrivals go to the top, not into the walk
        url = body["next"]

    assert seen == expected


def test_following_next_survives_deletions(api_client):
    users = UserFactory.create_batch(6)
    first = api_client.get(f"{USERS}?page_size=2").json()
    users[3].delete()  # the first item of the next page

    second = api_client.get(first["next"]).json()

    assert ids(second) == [users[2].pk, users[1].pk]


def test_previous_from_the_first_page_returns_what_arrived_since_newest_first(api_client):
    UserFactory.create_batch(3)
    first = api_client.get(f"{USERS}?page_size=2").json()
    assert api_client.get(first["previous"]).json()["results"] == []

    arrivals = UserFactory.create_batch(3)
    since = api_client.get(first["previous"]).json()

    # A page holds the arrivals next to what the client has, newest first ...
    assert ids(since) == [arrivals[1].pk, arrivals[0].pk]
    # ... and `previous` again brings the rest, still newest first.
    rest = api_client.get(since["previous"]).json()
    assert ids(rest) == [arrivals[2].pk]


def test_previous_when_nothing_arrived_is_empty_and_keeps_polling(api_client):
    users = UserFactory.create_batch(2)
    first = api_client.get(USERS).json()

    body = api_client.get(first["previous"]).json()

    assert body["results"] == []
    assert body["next"] is None
    assert body["previous"] == first["previous"]
    arrival = UserFactory()
    assert ids(api_client.get(body["previous"]).json()) == [arrival.pk]
    assert ids(first) == [users[1].pk, users[0].pk]


def test_previous_from_a_later_page_walks_back(api_client):
    users = UserFactory.create_batch(6)
    first = api_client.get(f"{USERS}?page_size=2").json()
    second = api_client.get(first["next"]).json()

    back = api_client.get(second["previous"]).json()

    assert ids(back) == ids(first) == [users[5].pk, users[4].pk]


def test_links_keep_the_other_query_parameters(api_client):
    UserFactory.create_batch(3, display_name="Alpha")

    body = api_client.get(f"{USERS}?search=alp&page_size=1").json()

    assert "search=alp" in body["next"]
    assert "page_size=1" in body["next"]
    assert body["next"] == page_link(USERS, ids(body)[0], search="alp", page_size=1)
