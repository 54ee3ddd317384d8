"""I3 counters: every denormalised count equals the rows it counts after concurrent toggles.

Real concurrency needs a database that runs transactions in parallel: these tests run on
PostgreSQL only, each client in its own thread with its own connection, all released at
once by a barrier so their transactions interleave.
"""

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import User
from core import outages
from tests.conftest import authenticate
from tests.factories import CommentFactory, TweetFactory, UserFactory
from tweets.models import Comment, Hashtag, Like, Tweet

CLIENTS = 20

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers, so threads cannot interleave",
    ),
]


def run_in_threads(work: Callable[[int], None], count: int = CLIENTS) -> None:
    """Run work(0..count-1) in threads started together; re-raise the first failure."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(index)
        except BaseException as exc:  # re-raised in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a client thread hung"
    if errors:
        raise errors[0]


def clients_for(users) -> list[APIClient]:
    return [authenticate(APIClient(), user) for user in users]


def expect_ok(response) -> None:
    assert response.status_code == 200, (response.status_code, response.content)


def test_tweet_likes_count_is_exact_under_concurrent_like_unlike_like():
    tweet = TweetFactory()
    users = UserFactory.create_batch(CLIENTS)
    clients = clients_for(users)
    url = f"/api/v1/tweets/{tweet.pk}/like/"

    def work(i: int) -> None:
        client = clients[i]
        expect_ok(client.post(url))
        expect_ok(client.delete(url))
        expect_ok(client.post(url))
        if i % 4 == 0:  # a quarter end unliked, twice
            expect_ok(client.delete(url))
            expect_ok(client.delete(url))
        else:
            expect_ok(client.post(url))  # repeated like: a no-op

    run_in_threads(work)

    tweet.refresh_from_db()
    assert tweet.likes_count == Like.objects.filter(tweet=tweet).count() == CLIENTS * 3 // 4


def test_retweets_count_is_exact_under_concurrent_retweet_undo_retweet():
    original = TweetFactory()
    users = UserFactory.create_batch(CLIENTS)
    clients = clients_for(users)
    url = f"/api/v1/tweets/{original.pk}/retweet/"

    def work(i: int) -> None:
        client = clients[i]
        expect_ok(client.post(url))
        expect_ok(client.delete(url))
        expect_ok(client.post(url))
        expect_ok(client.post(url))
        if i % 2:
            expect_ok(client.delete(url))

    run_in_threads(work)

    original.refresh_from_db()
    retweets = Tweet.objects.filter(retweet_of=original)
    assert original.retweets_count == retweets.count() == CLIENTS // 2
    for user in User.objects.filter(pk__in=[u.pk for u in users]):
        assert user.tweets_count == Tweet.objects.filter(user=user).count()


def test_comments_count_is_exact_under_concurrent_comment_and_delete():
    tweet = TweetFactory()
    users = UserFactory.create_batch(CLIENTS)
    clients = clients_for(users)

    def work(i: int) -> None:
        client = clients[i]
        made = []
        for n in range(3):
            response = client.post(
                f"/api/v1/tweets/{tweet.pk}/comments/", {"text": f"c{n}"}, format="json"
            )
            assert response.status_code == 201, response.content
            made.append(response.json()["id"])
        assert client.delete(f"/api/v1/comments/{made[0]}/").status_code == 204

    run_in_threads(work)

    tweet.refresh_from_db()
    assert tweet.comments_count == Comment.objects.filter(tweet=tweet).count() == CLIENTS * 2


def test_concurrent_deletes_of_one_comment_count_it_once():
    tweet = TweetFactory()
    comment = CommentFactory(tweet=tweet)
    CommentFactory(tweet=tweet)
    # The comment's author and the tweet's author both may delete it, many times at once.
    clients = clients_for([comment.user, tweet.user] * (CLIENTS // 2))

    def work(i: int) -> None:
        status = clients[i].delete(f"/api/v1/comments/{comment.pk}/").status_code
        assert status in (204, 404)

    run_in_threads(work)

    tweet.refresh_from_db()
    assert tweet.comments_count == Comment.objects.filter(tweet=tweet).count() == 1


def test_comment_likes_count_is_exact_under_concurrent_toggles():
    comment = CommentFactory()
    clients = clients_for(UserFactory.create_batch(CLIENTS))
    url = f"/api/v1/comments/{comment.pk}/like/"

    def work(i: int) -> None:
        expect_ok(clients[i].post(url))
        expect_ok(clients[i].delete(url))
        expect_ok(clients[i].post(url))

    run_in_threads(work)

    comment.refresh_from_db()
    assert comment.likes_count == Like.objects.filter(comment=comment).count() == CLIENTS


def test_tweets_creating_the_same_hashtags_in_opposite_orders_never_conflict():
    """New tags are inserted in name order: in text order, two tweets naming the same new
    tags in opposite orders would wait for each other's uncommitted insert (a deadlock,
    retried by core.db, but a conflict all the same)."""
    clients = clients_for(UserFactory.create_batch(CLIENTS))
    tags = [f"#storm{n}" for n in range(6)]

    def work(i: int) -> None:
        text = " ".join(tags if i % 2 else tags[::-1])
        response = clients[i].post("/api/v1/tweets/", {"text": text}, format="json")
        assert response.status_code == 201, response.content

    run_in_threads(work)

    assert Hashtag.objects.filter(name__startswith="storm").count() == len(tags)
    assert "transaction_retried" not in outages.counts()


def test_deleting_a_tweet_while_others_like_comment_and_retweet_it_never_conflicts():
    """Every write on a tweet locks the tweet first: the delete and the others take turns;
    those after the delete answer 404, and every counter is exact."""
    author = UserFactory()
    users = UserFactory.create_batch(CLIENTS - 1)
    tweet = TweetFactory(user=author)
    comment = CommentFactory(tweet=tweet, user=users[0])
    for user in users[::2]:
        authenticate(APIClient(), user).post(f"/api/v1/tweets/{tweet.pk}/like/")
        authenticate(APIClient(), user).post(f"/api/v1/tweets/{tweet.pk}/retweet/")
    clients = [authenticate(APIClient(), author), *clients_for(users)]
    base = f"/api/v1/tweets/{tweet.pk}"
    writes = [
        lambda c: c.delete(f"{base}/like/"),
        lambda c: c.post(f"{base}/like/"),
        lambda c: c.delete(f"{base}/retweet/"),
        lambda c: c.post(f"{base}/retweet/"),
        lambda c: c.post(f"{base}/comments/", {"text": "late"}, format="json"),
        lambda c: c.post(f"/api/v1/comments/{comment.pk}/like/"),
    ]

    def work(i: int) -> None:
        if i == CLIENTS // 2:
            response = clients[0].delete(f"{base}/")
            assert response.status_code == 204, response.content
            return
        client = clients[1 + i % (CLIENTS - 1)]
        response = writes[i % len(writes)](client)
        assert response.status_code in (200, 201, 404), (response.status_code, response.content)

    run_in_threads(work)

    assert not Tweet.objects.filter(pk=tweet.pk).exists()
    assert not Tweet.objects.filter(retweet_of_id=tweet.pk).exists()
    assert not Comment.objects.filter(tweet_id=tweet.pk).exists()
    for user in User.objects.filter(pk__in=[author.pk, *(u.pk for u in users)]):
        assert user.tweets_count == Tweet.objects.filter(user=user).count()
    assert "transaction_retried" not in outages.counts()
