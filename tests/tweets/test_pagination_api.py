import pytest

from tests.factories import TweetFactory, UserFactory
from tweets.models import Tweet

pytestmark = pytest.mark.django_db


def page(client, url) -> tuple[list[int], dict]:
    response = client.get(url)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {"results", "next", "previous"}
    return [tweet["id"] for tweet in body["results"]], body


def test_timeline_pages_neither_repeat_nor_skip_while_tweets_arrive(api_client):
    author = UserFactory(username="writer")
    old = [TweetFactory(user=author).pk for _ in range(5)]  # oldest first

    first, first_body = page(api_client, "/api/v1/users/writer/tweets/?page_size=2")
    new = [TweetFactory(user=author).pk for _ in range(3)]
    second, second_body = page(api_client, first_body["next"])
    third, third_body = page(api_client, second_body["next"])

    assert first == [old[4], old[3]]
    assert second == [old[2], old[1]]
    assert third == [old[0]]
    assert third_body["next"] is None
    assert first_body["next"].startswith("http://testserver/api/v1/users/writer/tweets/?")
    assert "page_size=2" in first_body["next"]

    # Pull to refresh: `previous` from the first page brings what arrived since, no gaps.
    refreshed, refreshed_body = page(api_client, first_body["previous"])
    assert refreshed == [new[1], new[0]]
    newest, newest_body = page(api_client, refreshed_body["previous"])
    assert newest == [new[2]]
    nothing, nothing_body = page(api_client, newest_body["previous"])
    assert nothing == []
    assert nothing_body["previous"] is not None  # keep polling from the same point
    TweetFactory(user=author)
    later, _ = page(api_client, nothing_body["previous"])
    assert len(later) == 1


def test_previous_from_the_first_page_returns_all_new_tweets_at_the_default_size(api_client):
    author = UserFactory(username="poster")
    TweetFactory.create_batch(3, user=author)
    _, first_body = page(api_client, "/api/v1/users/poster/tweets/")
    new = [TweetFactory(user=author).pk for _ in range(3)]

    refreshed, _ = page(api_client, first_body["previous"])

    assert refreshed == list(reversed(new))


def test_timeline_only_shows_that_users_tweets(api_client):
    author = UserFactory(username="Someone")
    mine = TweetFactory(user=author)
    TweetFactory()

    ids, body = page(api_client, "/api/v1/users/someone/tweets/")

    assert ids == [mine.pk]
    assert body["next"] is None


def test_timeline_of_unknown_user_is_404(api_client):
    response = api_client.get("/api/v1/users/nobody/tweets/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No user with that username."}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("page_size=0", "invalid_page_size"),
        ("page_size=x", "invalid_page_size"),
        ("cursor=%%%", "invalid_cursor"),
    ],
)
def test_bad_paging_parameters_are_400(api_client, query, code):
    UserFactory(username="someone")

    response = api_client.get(f"/api/v1/users/someone/tweets/?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == code


def test_page_size_is_capped_at_100(api_client):
    author = UserFactory(username="prolific")
    Tweet.objects.bulk_create(Tweet(user=author, text=f"t{n}") for n in range(101))

    ids, body = page(api_client, "/api/v1/users/prolific/tweets/?page_size=500")

    assert len(ids) == 100
    assert body["next"] is not None
