import pytest

from tests.factories import CommentFactory, TweetFactory, UserFactory
from tests.shapes import comment_json
from tweets import services
from tweets.models import Comment, Tweet

pytestmark = pytest.mark.django_db


def comments_count(tweet) -> int:
    tweet.refresh_from_db()
    assert tweet.comments_count == tweet.comments.count()
    return tweet.comments_count


def test_create_comment_answers_201_with_the_comment(user, auth_client):
    tweet = TweetFactory()

    response = auth_client.post(
        f"/api/v1/tweets/{tweet.pk}/comments/", {"text": "Nice one"}, format="json"
    )

    assert response.status_code == 201
    comment = Comment.objects.get()
    assert response.json() == {
        "id": comment.pk,
        "tweet_id": tweet.pk,
        "user": {
            "id": user.pk,
            "username": user.username,
            "display_name": user.display_name,
            "avatar_url": None,
        },
        "text": "Nice one",
        "created_at": comment.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "likes_count": 0,
        "has_liked": False,
    }
    assert comments_count(tweet) == 1


def test_comments_list_oldest_first(api_client):
    tweet = TweetFactory()
    comments = [CommentFactory(tweet=tweet) for _ in range(3)]
    CommentFactory()  # on another tweet

    response = api_client.get(f"/api/v1/tweets/{tweet.pk}/comments/")

    assert response.status_code == 200
    body = response.json()
    assert body["results"] == [comment_json(comment) for comment in comments]
    assert body["next"] is None


def test_comments_list_pages_oldest_first(api_client):
    tweet = TweetFactory()
    comments = [CommentFactory(tweet=tweet) for _ in range(3)]

    first = api_client.get(f"/api/v1/tweets/{tweet.pk}/comments/?page_size=2").json()
    second = api_client.get(first["next"]).json()

    assert [c["id"] for c in first["results"]] == [comments[0].pk, comments[1].pk]
    assert [c["id"] for c in second["results"]] == [comments[2].pk]
    assert second["next"] is None


def test_comments_list_shows_the_viewers_has_liked(user, auth_client):
    tweet = TweetFactory()
    liked, other = CommentFactory(tweet=tweet), CommentFactory(tweet=tweet)
    services.like_comment(user=user, comment_id=liked.pk)

    response = auth_client.get(f"/api/v1/tweets/{tweet.pk}/comments/")

    assert response.json()["results"] == [
        comment_json(liked, likes_count=1, has_liked=True),
        comment_json(other),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "This field may not be blank."),
        ("   ", "Write something: text cannot be only spaces."),
        ("x" * 281, "Ensure this field has no more than 280 characters."),
    ],
)
def test_comment_text_must_be_1_to_280_characters(auth_client, text, message):
    tweet = TweetFactory()

    response = auth_client.post(
        f"/api/v1/tweets/{tweet.pk}/comments/", {"text": text}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "detail": "Invalid input.",
        "fields": {"text": [message]},
    }
    assert comments_count(tweet) == 0


def test_comment_of_280_characters_is_accepted(auth_client):
    tweet = TweetFactory()

    response = auth_client.post(
        f"/api/v1/tweets/{tweet.pk}/comments/", {"text": "ü" * 280}, format="json"
    )

    assert response.status_code == 201
    assert comments_count(tweet) == 1


def test_comment_on_missing_tweet_is_404_and_anonymous_is_401(auth_client, api_client):
    tweet = TweetFactory()

    missing = auth_client.post("/api/v1/tweets/999999/comments/", {"text": "x"}, format="json")
    anonymous = api_client.post(
        f"/api/v1/tweets/{tweet.pk}/comments/", {"text": "x"}, format="json"
    )
    listing = api_client.get("/api/v1/tweets/999999/comments/")

    assert (missing.status_code, missing.json()) == (
        404,
        {"code": "not_found", "detail": "No tweet with that id."},
    )
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    assert listing.status_code == 404


def test_commenting_a_retweet_comments_its_original(user, auth_client):
    original = TweetFactory()
    services.retweet(user=UserFactory(), tweet_id=original.pk)
    retweet = Tweet.objects.get(retweet_of=original)

    response = auth_client.post(
        f"/api/v1/tweets/{retweet.pk}/comments/", {"text": "hi"}, format="json"
    )

    assert response.json()["tweet_id"] == original.pk
    assert comments_count(original) == 1


def test_comment_author_deletes_their_comment(user, auth_client):
    comment = CommentFactory(user=user)

    response = auth_client.delete(f"/api/v1/comments/{comment.pk}/")

    assert response.status_code == 204
    assert not Comment.objects.exists()
    assert comments_count(comment.tweet) == 0


def test_tweet_author_deletes_a_comment_on_their_tweet(user, auth_client):
    tweet = TweetFactory(user=user)
    comment, kept = CommentFactory(tweet=tweet), CommentFactory(tweet=tweet)

    response = auth_client.delete(f"/api/v1/comments/{comment.pk}/")

    assert response.status_code == 204
    assert list(Comment.objects.all()) == [kept]
    assert comments_count(tweet) == 1


def test_a_third_user_cannot_delete_a_comment(auth_client):
    comment = CommentFactory()

    response = auth_client.delete(f"/api/v1/comments/{comment.pk}/")

    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "detail": "Only the comment's author or the tweet's author can delete it.",
    }
    assert comments_count(comment.tweet) == 1


def test_delete_missing_comment_is_404(auth_client):
    response = auth_client.delete("/api/v1/comments/999999/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No comment with that id."}


def test_comments_count_is_exact_after_many_changes(user, auth_client):
    tweet = TweetFactory(user=user)
    others = UserFactory.create_batch(3)
    made = [CommentFactory(tweet=tweet, user=other) for other in others for _ in range(2)]
    for comment in made[:3]:
        auth_client.delete(f"/api/v1/comments/{comment.pk}/")
    auth_client.delete(f"/api/v1/comments/{made[0].pk}/")  # already gone: 404, no change

    assert comments_count(tweet) == 3
