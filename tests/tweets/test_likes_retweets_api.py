import pytest

from tests.factories import CommentFactory, TweetFactory, UserFactory
from tests.shapes import comment_json, summary_json, tweet_json
from tweets import services
from tweets.models import Like, Tweet

pytestmark = pytest.mark.django_db


# --- likes -------------------------------------------------------------------------------


def test_like_answers_the_tweet_with_has_liked(auth_client):
    tweet = TweetFactory()

    response = auth_client.post(f"/api/v1/tweets/{tweet.pk}/like/")

    assert response.status_code == 200
    assert response.json() == tweet_json(tweet, likes_count=1, has_liked=True)


def test_like_is_idempotent(user, auth_client):
    tweet = TweetFactory()

    first = auth_client.post(f"/api/v1/tweets/{tweet.pk}/like/")
    second = auth_client.post(f"/api/v1/tweets/{tweet.pk}/like/")

    assert first.json() == second.json() == tweet_json(tweet, likes_count=1, has_liked=True)
    assert Like.objects.filter(tweet=tweet, user=user).count() == 1


def test_unlike_is_idempotent(auth_client):
    tweet = TweetFactory()
    auth_client.post(f"/api/v1/tweets/{tweet.pk}/like/")

    first = auth_client.delete(f"/api/v1/tweets/{tweet.pk}/like/")
    second = auth_client.delete(f"/api/v1/tweets/{tweet.pk}/like/")

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() == tweet_json(tweet, likes_count=0, has_liked=False)
    assert not Like.objects.exists()


def test_liking_a_retweet_likes_its_original(user, auth_client):
    original = TweetFactory()
    services.retweet(user=UserFactory(), tweet_id=original.pk)
    retweet = Tweet.objects.get(retweet_of=original)

    response = auth_client.post(f"/api/v1/tweets/{retweet.pk}/like/")

    assert response.json() == tweet_json(original, likes_count=1, retweets_count=1, has_liked=True)
    assert Like.objects.get().tweet_id == original.pk


@pytest.mark.parametrize("method", ["post", "delete"])
def test_like_unauthenticated_is_401(api_client, method):
    tweet = TweetFactory()

    response = getattr(api_client, method)(f"/api/v1/tweets/{tweet.pk}/like/")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_like_missing_tweet_is_404(auth_client):
    response = auth_client.post("/api/v1/tweets/999999/like/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No tweet with that id."}


def test_likes_lists_user_summaries_newest_first(api_client):
    tweet = TweetFactory()
    fans = UserFactory.create_batch(3)
    for fan in fans:
        services.like_tweet(user=fan, tweet_id=tweet.pk)

    response = api_client.get(f"/api/v1/tweets/{tweet.pk}/likes/")

    assert response.status_code == 200
    assert response.json() == {
        "results": [summary_json(fan) for fan in reversed(fans)],
        "next": None,
        "previous": response.json()["previous"],
    }


def test_likes_of_a_missing_tweet_is_404(api_client):
    response = api_client.get("/api/v1/tweets/999999/likes/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No tweet with that id."}


# --- retweets ----------------------------------------------------------------------------


def test_retweet_answers_the_original_with_has_retweeted(user, auth_client):
    original = TweetFactory(text="worth sharing")

    response = auth_client.post(f"/api/v1/tweets/{original.pk}/retweet/")

    assert response.status_code == 200
    assert response.json() == tweet_json(original, retweets_count=1, has_retweeted=True)
    retweet = Tweet.objects.get(retweet_of=original)
    assert (retweet.user, retweet.text) == (user, "")
    user.refresh_from_db()
    assert user.tweets_count == 1


def test_retweet_is_idempotent(user, auth_client):
    original = TweetFactory()

    auth_client.post(f"/api/v1/tweets/{original.pk}/retweet/")
    response = auth_client.post(f"/api/v1/tweets/{original.pk}/retweet/")

    assert response.status_code == 200
    assert response.json() == tweet_json(original, retweets_count=1, has_retweeted=True)
    assert Tweet.objects.filter(retweet_of=original).count() == 1
    user.refresh_from_db()
    assert user.tweets_count == 1


def test_retweeting_a_retweet_retweets_its_original(user, auth_client):
    original = TweetFactory()
    services.retweet(user=UserFactory(), tweet_id=original.pk)
    retweet = Tweet.objects.get(retweet_of=original)

    response = auth_client.post(f"/api/v1/tweets/{retweet.pk}/retweet/")

    assert response.status_code == 200
    assert response.json() == tweet_json(original, retweets_count=2, has_retweeted=True)
    assert Tweet.objects.get(user=user).retweet_of_id == original.pk
    assert not Tweet.objects.filter(retweet_of=retweet).exists()


def test_undo_retweet_is_idempotent(user, auth_client):
    original = TweetFactory()
    auth_client.post(f"/api/v1/tweets/{original.pk}/retweet/")

    first = auth_client.delete(f"/api/v1/tweets/{original.pk}/retweet/")
    second = auth_client.delete(f"/api/v1/tweets/{original.pk}/retweet/")

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() == tweet_json(original, retweets_count=0)
    assert not Tweet.objects.filter(retweet_of=original).exists()
    user.refresh_from_db()
    assert user.tweets_count == 0


def test_undo_through_the_retweets_own_id(user, auth_client):
    original = TweetFactory()
    services.retweet(user=user, tweet_id=original.pk)
    retweet = Tweet.objects.get(retweet_of=original)

    response = auth_client.delete(f"/api/v1/tweets/{retweet.pk}/retweet/")

    assert response.json() == tweet_json(original, retweets_count=0)


def test_retweet_missing_is_404_and_anonymous_is_401(auth_client, api_client):
    tweet = TweetFactory()

    missing = auth_client.post("/api/v1/tweets/999999/retweet/")
    anonymous = api_client.post(f"/api/v1/tweets/{tweet.pk}/retweet/")

    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")


def test_a_retweet_appears_in_the_retweeters_timeline(user, api_client):
    original = TweetFactory(text="the #original")
    own = TweetFactory(user=user, text="my own")
    services.retweet(user=user, tweet_id=original.pk)
    retweet = Tweet.objects.get(retweet_of=original)

    response = api_client.get(f"/api/v1/users/{user.username}/tweets/")

    assert response.status_code == 200
    assert response.json()["results"] == [
        tweet_json(
            retweet,
            text="",
            retweet_of=tweet_json(original, hashtags=["original"], retweets_count=1),
        ),
        tweet_json(own),
    ]


# --- comment likes -----------------------------------------------------------------------


def test_comment_like_and_unlike_are_idempotent(auth_client):
    comment = CommentFactory()

    liked = [auth_client.post(f"/api/v1/comments/{comment.pk}/like/") for _ in range(2)]
    unliked = [auth_client.delete(f"/api/v1/comments/{comment.pk}/like/") for _ in range(2)]

    assert [r.status_code for r in liked + unliked] == [200] * 4
    assert (
        liked[0].json() == liked[1].json() == comment_json(comment, likes_count=1, has_liked=True)
    )
    assert unliked[0].json() == unliked[1].json() == comment_json(comment, likes_count=0)
    assert not Like.objects.exists()


def test_comment_like_missing_is_404(auth_client):
    response = auth_client.post("/api/v1/comments/999999/like/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No comment with that id."}
