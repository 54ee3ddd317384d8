"""Feed items come from the tweet cache (tweets.payloads): each is exactly what
GET /tweets/<id>/ answers the same viewer, rendered fresh or cached, and an edit, a
deletion, a like or the author's profile change shows on the very next page."""

import pytest
from django.conf import settings

from tests.factories import FriendshipFactory, RetweetFactory, TweetFactory, UserFactory
from tests.newsfeeds.conftest import FEED
from tests.tweets.helpers import image_upload
from tweets import payloads, services

pytestmark = pytest.mark.django_db

DETAIL_ONLY = ("comments", "comments_next")


@pytest.fixture
def story(make_auth_client):
    """A reader following an author (with an avatar) whose feed holds a tweet with a photo,
    hashtags and mentions, a retweet of a friend's tweet, and that friend's tweet itself
    (the reader follows the friend too); the reader liked one and retweeted another."""
    reader, author, friend = UserFactory.create_batch(3)
    author_client = make_auth_client(author)
    assert (
        author_client.patch(
            "/api/v1/me/", {"avatar": image_upload("PNG")}, format="multipart"
        ).status_code
        == 200
    )
    rich = TweetFactory(
        user=author,
        text=f"#Cats and #dogs, hello @{friend.username}",
        photos=[image_upload("PNG"), image_upload("JPEG")],
    )
    original = TweetFactory(user=friend, text="worth sharing")
    RetweetFactory(user=author, retweet_of=original)
    FriendshipFactory(follower=reader, followee=author)
    FriendshipFactory(follower=reader, followee=friend)
    services.like_tweet(user=reader, tweet_id=rich.pk)
    services.retweet(user=reader, tweet_id=original.pk)
    client = make_auth_client(reader)
    return {"reader": client, "author": author_client, "rich": rich, "original": original}


def page(client) -> list[dict]:
    response = client.get(FEED)
    assert response.status_code == 200
    return response.json()["results"]


def as_the_tweet_endpoint_says(client, items: list[dict]) -> list[dict]:
    """The detail without its first comments (lists do not carry them)."""
    details = [client.get(f"/api/v1/tweets/{item['id']}/").json() for item in items]
    return [
        {name: value for name, value in detail.items() if name not in DETAIL_ONLY}
        for detail in details
    ]


def test_items_are_what_the_tweet_endpoint_answers_fresh_and_cached(story):
    client = story["reader"]
    fresh = page(client)
    cached = page(client)

    assert len(fresh) == 4  # the reader's retweet, the friend's tweet, the author's two
    assert fresh == as_the_tweet_endpoint_says(client, fresh)
    assert cached == fresh
    rich = next(item for item in cached if item["id"] == story["rich"].pk)
    assert rich["hashtags"] == ["cats", "dogs"]
    assert len(rich["photos"]) == 2
    assert rich["user"]["avatar_url"].startswith("http://testserver/")
    assert (rich["has_liked"], rich["likes_count"]) == (True, 1)


def test_an_edit_shows_on_the_next_page(story):
    client = story["reader"]
    page(client)
    edited = story["author"].patch(
        f"/api/v1/tweets/{story['rich'].pk}/", {"text": "now about #birds"}, format="json"
    )
    assert edited.status_code == 200

    items = page(client)
    assert items == as_the_tweet_endpoint_says(client, items)
    rich = next(item for item in items if item["id"] == story["rich"].pk)
    assert (rich["text"], rich["hashtags"], rich["mentions"]) == ("now about #birds", ["birds"], [])
    assert (rich["edited_at"] is not None, rich["edit_count"]) == (True, 1)


def test_the_authors_profile_change_shows_on_the_next_page(story):
    client = story["reader"]
    page(client)
    changed = story["author"].patch(
        "/api/v1/me/", {"display_name": "New Name", "username": "renamed"}, format="json"
    )
    assert changed.status_code == 200
    assert story["author"].delete("/api/v1/me/avatar/").status_code == 204

    items = page(client)
    assert items == as_the_tweet_endpoint_says(client, items)
    authors = {item["user"]["username"] for item in items if item["id"] != story["original"].pk}
    assert "renamed" in authors
    rich = next(item for item in items if item["id"] == story["rich"].pk)
    assert rich["user"]["display_name"] == "New Name"
    assert rich["user"]["avatar_url"] is None


def test_counters_and_the_viewers_flags_are_fresh(story, make_auth_client):
    client = story["reader"]
    page(client)
    fan = make_auth_client(UserFactory())
    assert fan.post(f"/api/v1/tweets/{story['original'].pk}/like/").status_code == 200
    assert client.delete(f"/api/v1/tweets/{story['rich'].pk}/like/").status_code == 200
    assert client.delete(f"/api/v1/tweets/{story['original'].pk}/retweet/").status_code == 200

    items = page(client)
    assert items == as_the_tweet_endpoint_says(client, items)
    assert len(items) == 3  # the reader's retweet is gone
    rich = next(item for item in items if item["id"] == story["rich"].pk)
    assert (rich["has_liked"], rich["likes_count"]) == (False, 0)
    nested = next(item["retweet_of"] for item in items if item["retweet_of"])
    assert (nested["likes_count"], nested["has_retweeted"], nested["retweets_count"]) == (
        1,
        False,
        1,
    )


def test_a_deleted_tweet_leaves_the_next_page(story):
    client = story["reader"]
    page(client)
    assert story["author"].delete(f"/api/v1/tweets/{story['rich'].pk}/").status_code == 204

    items = page(client)
    assert story["rich"].pk not in {item["id"] for item in items}
    assert items == as_the_tweet_endpoint_says(client, items)


def test_urls_follow_the_host_each_request_came_to(story):
    client = story["reader"]
    page(client)
    items = client.get(FEED, HTTP_HOST="localhost").json()["results"]
    rich = next(item for item in items if item["id"] == story["rich"].pk)
    assert rich["user"]["avatar_url"].startswith("http://localhost/")
    assert all(photo["url"].startswith("http://localhost/") for photo in rich["photos"])


def test_each_shown_tweet_is_cached_for_the_ttl(story, feed_redis):
    page(story["reader"])
    key = payloads.tweet_key(story["original"].pk)  # shown nested and on its own
    assert 0 < feed_redis.ttl(key) <= settings.TWEET_CACHE_TTL
    assert feed_redis.exists(payloads.tweet_key(story["rich"].pk))
