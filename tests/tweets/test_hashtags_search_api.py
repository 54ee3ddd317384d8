from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import time_machine

from tests.factories import TweetFactory, UserFactory
from tests.shapes import tweet_json
from tweets import services
from tweets.models import Hashtag, Trend, Tweet
from tweets.tasks import compute_trends

pytestmark = pytest.mark.django_db


def post_tweet(client, text) -> dict:
    response = client.post("/api/v1/tweets/", {"text": text}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [tweet["id"] for tweet in response.json()["results"]]


# --- parsing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hashtags"),
    [
        ("#Django and #django and #DJANGO", ["django"]),
        ("#café au lait, #日本 #Ελλάδα", ["café", "日本", "ελλάδα"]),
        ("decomposed #cafe\u0301", ["café"]),
        ("#2026 is a year, #42 a number", []),
        ("a#b and x#y are not tags", []),
        ("#snake_case #v2 end.#dot (#paren)", ["snake_case", "v2", "dot", "paren"]),
        ("&#39; is an entity, ##double is not", []),
    ],
)
def test_hashtags_are_unicode_aware_and_case_insensitive(auth_client, text, hashtags):
    body = post_tweet(auth_client, text)

    assert body["hashtags"] == hashtags


def test_one_hashtag_row_per_tag_whatever_its_case(auth_client):
    post_tweet(auth_client, "#Django")
    post_tweet(auth_client, "#DJANGO #python")

    assert sorted(Hashtag.objects.values_list("name", flat=True)) == ["django", "python"]


def test_mentions_only_existing_users_without_regard_to_case(auth_client):
    bob = UserFactory(username="Bob")
    UserFactory(username="carol", is_active=False)

    body = post_tweet(auth_client, "hi @bob @BOB @nobody @carol mail@bob.com (@Bob)")

    assert body["mentions"] == ["Bob"]
    assert list(Tweet.objects.get(pk=body["id"]).mentions.all()) == [bob]


# --- ?hashtag= ---------------------------------------------------------------------------


def test_hashtag_filter_finds_tagged_tweets_newest_first(auth_client, api_client):
    first = post_tweet(auth_client, "learning #Django")
    post_tweet(auth_client, "learning #Flask")
    second = post_tweet(auth_client, "more #django and #python")
    UserFactory(username="django")  # a user of that name is not a tag
    post_tweet(auth_client, "@django django without a tag")

    expected = [second["id"], first["id"]]
    assert ids(api_client.get("/api/v1/tweets/?hashtag=Django")) == expected
    assert ids(api_client.get("/api/v1/tweets/?hashtag=%23django")) == expected
    assert ids(api_client.get("/api/v1/tweets/?hashtag=nothing")) == []


def test_hashtag_filter_answers_whole_tweets(api_client):
    tweet = TweetFactory(text="#solo")

    response = api_client.get("/api/v1/tweets/?hashtag=solo")

    assert response.json() == {
        "results": [tweet_json(tweet, hashtags=["solo"])],
        "next": None,
        "previous": response.json()["previous"],
    }


def test_hashtag_filter_matches_unicode_tags_in_any_normal_form(api_client):
    tweet = TweetFactory(text="#Café")

    composed = api_client.get(f"/api/v1/tweets/?hashtag={quote('café')}")
    decomposed = api_client.get(f"/api/v1/tweets/?hashtag={quote('CAFE' + chr(0x301))}")

    assert ids(composed) == ids(decomposed) == [tweet.pk]


def test_edit_moves_a_tweet_between_hashtags(user, auth_client, api_client):
    tweet = TweetFactory(user=user, text="#before")

    auth_client.patch(f"/api/v1/tweets/{tweet.pk}/", {"text": "#after"}, format="json")

    assert ids(api_client.get("/api/v1/tweets/?hashtag=before")) == []
    assert ids(api_client.get("/api/v1/tweets/?hashtag=after")) == [tweet.pk]


# --- ?q= -----------------------------------------------------------------------------------


def test_search_finds_tweets_with_every_word_newest_first(auth_client, api_client):
    # Whole, distinct, non-stop words: the same answer from PostgreSQL full-text search and
    # from the SQLite fallback.
    both_old = post_tweet(auth_client, "Quokka watching at sunrise")
    post_tweet(auth_client, "a quokka alone")
    post_tweet(auth_client, "only the sunrise")
    both_new = post_tweet(auth_client, "SUNRISE over the QUOKKA colony")
    post_tweet(auth_client, "nothing relevant here")

    assert ids(api_client.get("/api/v1/tweets/?q=quokka sunrise")) == [
        both_new["id"],
        both_old["id"],
    ]
    assert len(ids(api_client.get("/api/v1/tweets/?q=Quokka"))) == 3
    assert ids(api_client.get("/api/v1/tweets/?q=platypus")) == []


def test_search_combines_with_hashtag(auth_client, api_client):
    tagged = post_tweet(auth_client, "kayak trip #outdoors")
    post_tweet(auth_client, "kayak repair")
    post_tweet(auth_client, "hiking #outdoors")

    assert ids(api_client.get("/api/v1/tweets/?q=kayak&hashtag=outdoors")) == [tagged["id"]]


@pytest.mark.parametrize("q", ["", "   ", '"', "-", "&|!()", "'"])
def test_odd_search_strings_never_fail(auth_client, api_client, q):
    post_tweet(auth_client, "something")

    response = api_client.get("/api/v1/tweets/", {"q": q})

    assert response.status_code == 200


# --- trends --------------------------------------------------------------------------------

NOW = datetime(2030, 3, 10, 12, 0, tzinfo=UTC)


def test_trends_are_the_top_hashtags_of_the_last_24_hours(api_client):
    author = UserFactory()
    with time_machine.travel(NOW - timedelta(hours=30), tick=False):
        for _ in range(5):
            services.create_tweet(author=author, text="#stale #old")
    with time_machine.travel(NOW - timedelta(hours=23), tick=False):
        services.create_tweet(author=author, text="#Django #python #old")
        services.create_tweet(author=author, text="#django #rust")
    with time_machine.travel(NOW - timedelta(minutes=5), tick=False):
        services.create_tweet(author=author, text="#django #python")

    with time_machine.travel(NOW, tick=False):
        compute_trends.delay()
        response = api_client.get("/api/v1/trends/")

    assert response.status_code == 200
    assert response.json() == [
        {"hashtag": "django", "tweets_count": 3},
        {"hashtag": "python", "tweets_count": 2},
        {"hashtag": "old", "tweets_count": 1},
        {"hashtag": "rust", "tweets_count": 1},
    ]


def test_trends_are_recomputed_as_a_whole(api_client, settings):
    settings.TRENDS_SIZE = 2
    author = UserFactory()
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        services.create_tweet(author=author, text="#a #b #c")
        services.create_tweet(author=author, text="#c")
    with time_machine.travel(NOW, tick=False):
        compute_trends.delay()
        compute_trends.delay()  # idempotent
    assert list(Trend.objects.order_by("rank").values_list("hashtag", "rank")) == [
        ("c", 1),
        ("a", 2),
    ]

    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        compute_trends.delay()

    assert api_client.get("/api/v1/trends/").json() == []


def test_trends_are_empty_before_the_first_run(api_client):
    TweetFactory(text="#never #computed")

    response = api_client.get("/api/v1/trends/")

    assert (response.status_code, response.json()) == (200, [])


def test_hashtags_and_mentions_keep_the_order_of_the_text(user, auth_client):
    UserFactory(username="amy")
    UserFactory(username="zed")
    tweet = TweetFactory(user=user, text="#zeta #alpha @zed @amy")

    first = auth_client.get(f"/api/v1/tweets/{tweet.pk}/").json()
    edited = auth_client.patch(
        f"/api/v1/tweets/{tweet.pk}/", {"text": "#alpha #new #zeta @amy @zed"}, format="json"
    ).json()

    assert (first["hashtags"], first["mentions"]) == (["zeta", "alpha"], ["zed", "amy"])
    assert edited["hashtags"] == ["alpha", "new", "zeta"]
    assert sorted(edited["mentions"]) == ["amy", "zed"]
