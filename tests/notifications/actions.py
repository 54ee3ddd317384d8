"""The actions that notify, as clients perform them over HTTP, shared by the REST and the
socket tests. Each takes (bob's client, alice, bob): Bob acts, Alice is notified. Each
returns the (tweet, comment) Alice's notification should point at."""

from tests.factories import CommentFactory, TweetFactory
from tweets.models import Comment, Tweet


def follow(client, alice, bob):
    assert client.post("/api/v1/users/alice/follow/").status_code == 200
    return None, None


def like_tweet(client, alice, bob):
    tweet = TweetFactory(user=alice)
    assert client.post(f"/api/v1/tweets/{tweet.pk}/like/").status_code == 200
    return tweet, None


def like_comment(client, alice, bob):
    comment = CommentFactory(tweet=TweetFactory(user=bob), user=alice)
    assert client.post(f"/api/v1/comments/{comment.pk}/like/").status_code == 200
    return comment.tweet, comment


def comment(client, alice, bob):
    tweet = TweetFactory(user=alice)
    response = client.post(f"/api/v1/tweets/{tweet.pk}/comments/", {"text": "nice"})
    assert response.status_code == 201
    return tweet, Comment.objects.get(pk=response.json()["id"])


def retweet(client, alice, bob):
    tweet = TweetFactory(user=alice)
    assert client.post(f"/api/v1/tweets/{tweet.pk}/retweet/").status_code == 200
    return tweet, None


def mention(client, alice, bob):
    response = client.post("/api/v1/tweets/", {"text": "hello @alice"})
    assert response.status_code == 201
    return Tweet.objects.get(pk=response.json()["id"]), None


def message(client, alice, bob):
    conversation = client.post("/api/v1/conversations/", {"username": "alice"}).json()
    response = client.post(
        f"/api/v1/conversations/{conversation['id']}/messages/", {"text": "hi alice"}
    )
    assert response.status_code == 201
    return None, None


ACTIONS = [
    ("followed", follow),
    ("liked_tweet", like_tweet),
    ("liked_comment", like_comment),
    ("commented", comment),
    ("retweeted", retweet),
    ("mentioned", mention),
    ("message", message),
]
