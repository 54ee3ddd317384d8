"""Every list costs a fixed number of SQL queries, whatever the page size (issue 3).

The world: a timeline owner whose 24 items alternate between their own tweets (hashtags,
mentions, some with photos) and retweets of other people's tweets (also with photos, tags
and mentions, some of them also on the page), liked, retweeted and commented on by the
viewer. Each list is measured at page_size=1 and page_size=20, anonymous and signed in, in one
test so the world is built once.
"""

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.conftest import authenticate
from tests.factories import CommentFactory, TweetFactory, UserFactory
from tests.tweets.helpers import image_upload
from tweets import services

pytestmark = pytest.mark.django_db

# (list, signed in) -> queries, warm: tweet pages read their ids (the timeline first looks
# its owner up) and render them as the newsfeed does (tweets.payloads): one query for the
# counters, thread ids, viewer's flags and rendering stamps of the page and the tweets it
# retweets or quotes; signed in adds the JWT's user. Cold (tweets not yet rendered, or no
# Redis) adds one: the photos, hashtags and mentions of the tweets rendered.
# likes/comments: the tweet, the page (comments' has_liked is annotated onto the page).
COLD = 0 if settings.REDIS_URL else 1
EXPECTED = {
    ("timeline", False): 3 + COLD,
    ("timeline", True): 4 + COLD,
    ("hashtag", False): 2 + COLD,
    ("hashtag", True): 3 + COLD,
    ("search", False): 2 + COLD,
    ("search", True): 3 + COLD,
    ("likes", False): 2,
    ("likes", True): 3,
    ("comments", False): 2,
    ("comments", True): 3,
}


@pytest.fixture
def world(db):
    owner = UserFactory(username="owner")
    friend = UserFactory(username="friend")
    viewer = UserFactory(username="viewer")
    fans = UserFactory.create_batch(3)
    main = None
    for n in range(12):
        photos = [image_upload("PNG", size=(8, 8))] if n % 3 == 0 else []
        theirs = TweetFactory(
            user=friend, text=f"#topic #extra{n} searchword {n} @viewer", photos=photos
        )
        services.retweet(user=owner, tweet_id=theirs.pk)
        mine = TweetFactory(
            user=owner, text=f"#topic searchword {n} @friend @viewer", photos=photos
        )
        services.retweet(user=viewer, tweet_id=theirs.pk)
        services.like_tweet(user=viewer, tweet_id=mine.pk)
        if n % 2:
            services.retweet(user=friend, tweet_id=mine.pk)  # owner's tweet is retweeted too
        main = main or mine
    for fan in [*fans, friend, owner]:
        services.like_tweet(user=fan, tweet_id=main.pk)
    for n in range(22):
        comment = CommentFactory(tweet=main, user=fans[n % 3])
        if n % 2:
            services.like_comment(user=viewer, comment_id=comment.pk)
    for fan in UserFactory.create_batch(18):
        services.like_tweet(user=fan, tweet_id=main.pk)
    return {"viewer": viewer, "main": main}


PATHS = {
    "timeline": lambda world: "/api/v1/users/owner/tweets/",
    "hashtag": lambda world: "/api/v1/tweets/?hashtag=topic",
    "search": lambda world: "/api/v1/tweets/?q=searchword",
    "likes": lambda world: f"/api/v1/tweets/{world['main'].pk}/likes/",
    "comments": lambda world: f"/api/v1/tweets/{world['main'].pk}/comments/",
}


def test_every_list_costs_the_same_queries_at_page_size_1_and_20(world, django_assert_num_queries):
    assert_world_is_as_described(world)

    for name, path_of in PATHS.items():
        path = path_of(world)
        separator = "&" if "?" in path else "?"
        for signed_in in (False, True):
            client = authenticate(APIClient(), world["viewer"]) if signed_in else APIClient()
            client.get(f"{path}{separator}page_size=20")  # renders the tweets into the cache
            for size in (1, 20):
                where = f"{name}, signed_in={signed_in}, page_size={size}"
                try:
                    with django_assert_num_queries(EXPECTED[(name, signed_in)]):
                        response = client.get(f"{path}{separator}page_size={size}")
                except pytest.fail.Exception as exc:
                    pytest.fail(f"{where}: {exc}")
                assert response.status_code == 200, where
                assert len(response.json()["results"]) == size, where
                assert response.json()["next"] is not None, where


def assert_world_is_as_described(world) -> None:
    """The timeline page really has photos, retweets, tags, mentions and viewer flags."""
    client = authenticate(APIClient(), world["viewer"])

    results = client.get("/api/v1/users/owner/tweets/?page_size=20").json()["results"]

    retweets = [t for t in results if t["retweet_of"]]
    originals = [t for t in results if not t["retweet_of"]]
    assert len(retweets) == len(originals) == 10
    assert any(t["retweet_of"]["photos"] for t in retweets)
    assert any(t["photos"] for t in originals)
    assert all(t["retweet_of"]["has_retweeted"] for t in retweets)
    assert all(t["has_liked"] and t["hashtags"][0] == "topic" for t in originals)
    assert all(t["mentions"] == ["friend", "viewer"] for t in originals)


@pytest.fixture
def quoting_world(db):
    """A timeline whose every item quotes, replies or retweets a quote: quotes of tweets
    with photos, tags and mentions, replies that quote, retweets of quotes, and a quote of
    a protected account's tweet that nobody else may see."""
    owner, friend, viewer = (UserFactory(username=name) for name in ("owner", "friend", "viewer"))
    hidden = UserFactory(username="hidden")
    secret = TweetFactory(user=hidden, text="secret")
    for n in range(8):
        photos = [image_upload("PNG", size=(8, 8))] if n % 2 == 0 else []
        theirs = TweetFactory(user=friend, text=f"#topic {n} @viewer", photos=photos)
        quote = services.create_tweet(author=owner, text=f"#topic q{n}", quote_of_id=theirs.pk)
        services.create_tweet(
            author=owner, text=f"#topic r{n}", in_reply_to_id=theirs.pk, quote_of_id=quote.pk
        )
        friends_quote = services.create_tweet(author=friend, text="fq", quote_of_id=quote.pk)
        services.retweet(user=owner, tweet_id=friends_quote.pk)
        services.like_tweet(user=viewer, tweet_id=theirs.pk)
    services.create_tweet(author=owner, text="#topic of a secret", quote_of_id=secret.pk)
    hidden.is_protected = True
    hidden.save(update_fields=["is_protected"])
    return {"viewer": viewer}


def test_a_page_of_quotes_costs_the_same_queries(quoting_world, django_assert_num_queries):
    """Quotes, replies and retweets of quotes (the quoted tweets rendered with the page, in
    its queries) cost what the plain lists above cost: EXPECTED, unchanged."""
    for name in ("timeline", "hashtag"):
        path = PATHS[name](quoting_world)
        separator = "&" if "?" in path else "?"
        for signed_in in (False, True):
            client = (
                authenticate(APIClient(), quoting_world["viewer"]) if signed_in else APIClient()
            )
            client.get(f"{path}{separator}page_size=20")  # renders the tweets into the cache
            for size in (1, 20):
                with django_assert_num_queries(EXPECTED[(name, signed_in)]):
                    response = client.get(f"{path}{separator}page_size={size}")
                assert len(response.json()["results"]) == size

    client = authenticate(APIClient(), quoting_world["viewer"])
    results = client.get("/api/v1/users/owner/tweets/?page_size=25").json()["results"]
    assert results[0]["quote_of"] is None  # the secret's quote: hidden from the viewer
    quotes = [t["quote_of"] for t in results[1:] if not t["retweet_of"]]
    assert len(quotes) == 16 and all(quotes)
    assert any(q["photos"] and q["has_liked"] and q["mentions"] == ["viewer"] for q in quotes)
    assert all(t["retweet_of"]["quote_of"]["quote_of"] is None for t in results if t["retweet_of"])
