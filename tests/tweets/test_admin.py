import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from tests.factories import CommentFactory, TweetFactory, UserFactory
from tweets import services
from tweets.models import Comment, Like, Tweet

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def content():
    author, retweeter = UserFactory(), UserFactory()
    tweet = TweetFactory(user=author, text="#admin @nobody")
    services.retweet(user=retweeter, tweet_id=tweet.pk)
    retweet = Tweet.objects.get(retweet_of=tweet)
    comment = CommentFactory(tweet=tweet)
    services.like_tweet(user=retweeter, tweet_id=tweet.pk)
    services.like_comment(user=author, comment_id=comment.pk)
    services.compute_trends()
    return {"author": author, "retweeter": retweeter, "tweet": tweet, "retweet": retweet}


@pytest.mark.parametrize("model", ["tweet", "comment", "hashtag", "trend", "like"])
def test_admin_changelists_open(admin_client_, content, model):
    response = admin_client_.get(f"/admin/tweets/{model}/")

    assert response.status_code == 200


def test_admin_change_pages_open(admin_client_, content):
    tweet, comment = content["tweet"], Comment.objects.get()

    assert admin_client_.get(f"/admin/tweets/tweet/{tweet.pk}/change/").status_code == 200
    assert admin_client_.get(f"/admin/tweets/comment/{comment.pk}/change/").status_code == 200


def test_admin_cannot_rewrite_a_tweet(admin_client_, content):
    tweet = content["tweet"]
    page = admin_client_.get(f"/admin/tweets/tweet/{tweet.pk}/change/")

    response = admin_client_.post(f"/admin/tweets/tweet/{tweet.pk}/change/", {"text": "rewritten"})

    assert b'name="text"' not in page.content  # shown, not editable
    assert response.status_code == 403
    tweet.refresh_from_db()
    assert tweet.text == "#admin @nobody" and tweet.edit_count == 0


@pytest.mark.parametrize("model", ["tweet", "comment", "like"])
def test_admin_changelists_cost_the_same_whatever_the_row_count(admin_client_, content, model):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client_.get(f"/admin/tweets/{model}/").status_code == 200
        return len(captured)

    few = queries()
    for user in UserFactory.create_batch(4):
        services.retweet(user=user, tweet_id=content["tweet"].pk)
        services.like_tweet(user=user, tweet_id=TweetFactory(user=user).pk)
        comment = CommentFactory(tweet=content["tweet"], user=user)
        services.like_comment(user=user, comment_id=comment.pk)

    assert queries() == few


def test_admin_changelists_need_staff(client, content):
    response = client.get("/admin/tweets/tweet/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def counts(content) -> tuple[int, int]:
    author = User.objects.get(pk=content["author"].pk)
    retweeter = User.objects.get(pk=content["retweeter"].pk)
    return author.tweets_count, retweeter.tweets_count


def test_admin_delete_view_keeps_counters_right(
    admin_client_, content, django_capture_on_commit_callbacks
):
    tweet = content["tweet"]
    assert admin_client_.get(f"/admin/tweets/tweet/{tweet.pk}/delete/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(f"/admin/tweets/tweet/{tweet.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Tweet.objects.exists()
    assert counts(content) == (0, 0)


def test_admin_deleting_a_retweet_moves_the_originals_count(admin_client_, content):
    retweet = content["retweet"]

    response = admin_client_.post(f"/admin/tweets/tweet/{retweet.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    tweet = Tweet.objects.get()
    assert tweet.retweets_count == 0
    assert counts(content) == (1, 0)


def test_admin_bulk_delete_of_a_tweet_and_its_retweet(admin_client_, content):
    ids = [content["tweet"].pk, content["retweet"].pk]

    response = admin_client_.post(
        "/admin/tweets/tweet/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )

    assert response.status_code == 302
    assert not Tweet.objects.exists()
    assert counts(content) == (0, 0)


def test_admin_comment_delete_keeps_comments_count(admin_client_, content):
    comment = Comment.objects.get()

    response = admin_client_.post(f"/admin/tweets/comment/{comment.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    tweet = Tweet.objects.get(pk=content["tweet"].pk)
    assert tweet.comments_count == 0 == tweet.comments.count()


def test_admin_bulk_delete_of_comments(admin_client_, content):
    tweet = content["tweet"]
    extra = CommentFactory(tweet=tweet)
    CommentFactory(tweet=tweet)

    response = admin_client_.post(
        "/admin/tweets/comment/",
        {
            "action": "delete_selected",
            "_selected_action": [Comment.objects.first().pk, extra.pk],
            "post": "yes",
        },
    )

    assert response.status_code == 302
    tweet.refresh_from_db()
    assert tweet.comments_count == 1 == tweet.comments.count()


def test_admin_deleting_likes_is_an_unlike(admin_client_, content):
    ids = list(Like.objects.values_list("pk", flat=True))
    assert len(ids) == 2  # one on the tweet, one on the comment

    response = admin_client_.post(
        "/admin/tweets/like/", {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )

    assert response.status_code == 302
    assert not Like.objects.exists()
    tweet, comment = Tweet.objects.get(pk=content["tweet"].pk), Comment.objects.get()
    assert (tweet.likes_count, comment.likes_count) == (0, 0)


def test_admin_cannot_move_a_tweet_or_comment_between_counters(admin_client_, content):
    tweet, comment = content["tweet"], Comment.objects.get()
    other = UserFactory()

    admin_client_.post(
        f"/admin/tweets/tweet/{tweet.pk}/change/",
        {"text": tweet.text, "user": other.pk, "photos-TOTAL_FORMS": 0, "photos-INITIAL_FORMS": 0},
    )
    admin_client_.post(
        f"/admin/tweets/comment/{comment.pk}/change/",
        {"text": "moderated", "tweet": TweetFactory().pk, "user": other.pk},
    )

    tweet.refresh_from_db()
    comment.refresh_from_db()
    assert (tweet.user_id, comment.tweet_id, comment.text) == (
        content["author"].pk,
        content["tweet"].pk,
        "moderated",
    )
