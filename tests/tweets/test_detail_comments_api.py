"""GET /tweets/{id}/ carries the first page of the tweet's comments, oldest first, and the
link to the next page of /tweets/{id}/comments/ (docs/api.md); lists do not. Blocks and
protection apply to those comments as to the comments list."""

import pytest
from rest_framework.test import APIClient

from safety.models import Block
from tests.factories import CommentFactory, RetweetFactory, TweetFactory, UserFactory
from tests.safety.conftest import block
from tests.shapes import comment_json, detail_json, page_link
from tweets import services

pytestmark = pytest.mark.django_db


def detail(client, tweet):
    response = client.get(f"/api/v1/tweets/{tweet.pk}/")
    assert response.status_code == 200, response.json()
    return response.json()


def test_detail_carries_the_first_twenty_comments_oldest_first(api_client):
    tweet = TweetFactory()
    comments = [CommentFactory(tweet=tweet) for _ in range(21)]

    body = detail(api_client, tweet)

    path = f"/api/v1/tweets/{tweet.pk}/comments/"
    assert body == detail_json(
        tweet,
        comments=[comment_json(comment) for comment in comments[:20]],
        comments_next=page_link(path, comments[19].pk),
    )
    rest = api_client.get(body["comments_next"]).json()
    assert rest["results"] == [comment_json(comments[20])]
    assert rest["next"] is None


def test_detail_with_twenty_comments_or_fewer_has_no_next(api_client):
    tweet = TweetFactory()
    comments = [CommentFactory(tweet=tweet) for _ in range(20)]

    body = detail(api_client, tweet)

    assert [item["id"] for item in body["comments"]] == [c.pk for c in comments]
    assert body["comments_next"] is None
    assert detail(api_client, TweetFactory())["comments"] == []


def test_detail_comments_show_the_viewers_likes(user, auth_client):
    tweet = TweetFactory()
    liked, other = CommentFactory(tweet=tweet), CommentFactory(tweet=tweet)
    services.like_comment(user=user, comment_id=liked.pk)

    body = detail(auth_client, tweet)

    assert body["comments"] == [comment_json(liked, has_liked=True), comment_json(other)]


def test_a_retweets_detail_carries_its_originals_comments(api_client):
    original = TweetFactory()
    comment = CommentFactory(tweet=original)
    retweet = RetweetFactory(retweet_of=original)

    body = detail(api_client, retweet)

    assert body["comments"] == [comment_json(comment)]


def test_detail_leaves_out_comments_of_users_blocked_either_way(alice, bob, alice_client):
    carol = UserFactory()
    tweet = TweetFactory(user=carol)
    by_bob = CommentFactory(tweet=tweet, user=bob)
    by_carol = CommentFactory(tweet=tweet, user=carol)
    assert block(alice_client, bob).status_code == 200

    assert detail(alice_client, tweet)["comments"] == [comment_json(by_carol)]
    Block.objects.all().delete()
    Block.objects.create(blocker=bob, blocked=alice)
    assert detail(alice_client, tweet)["comments"] == [comment_json(by_carol)]
    assert [c["id"] for c in detail(APIClient(), tweet)["comments"]] == [
        by_bob.pk,
        by_carol.pk,
    ]


def test_a_protected_accounts_tweet_and_its_comments_are_404_for_others(alice, bob_client):
    tweet = TweetFactory(user=alice)
    CommentFactory(tweet=tweet)
    alice.is_protected = True
    alice.save(update_fields=["is_protected"])

    response = bob_client.get(f"/api/v1/tweets/{tweet.pk}/")

    assert response.status_code == 404


def test_lists_do_not_carry_comments(api_client):
    tweet = TweetFactory(text="#listed")
    CommentFactory(tweet=tweet)

    item = api_client.get("/api/v1/tweets/?hashtag=listed").json()["results"][0]

    assert "comments" not in item and "comments_next" not in item
    assert item["comments_count"] == 1


# The tweet (visibility and blocks joined), its photos, hashtags, mentions, the comments
# page (has_liked annotated); signed in, also the JWT's user and the viewer's flags.
EXPECTED = {False: 5, True: 7}


@pytest.mark.parametrize("count", [1, 25])
@pytest.mark.parametrize("signed_in", [False, True])
def test_detail_costs_the_same_queries_with_one_comment_or_a_page(
    make_auth_client, django_assert_num_queries, count, signed_in
):
    viewer = UserFactory()
    tweet = TweetFactory(text="#tag @" + viewer.username)
    for _ in range(count):
        comment = CommentFactory(tweet=tweet)
        services.like_comment(user=viewer, comment_id=comment.pk)
    client = make_auth_client(viewer) if signed_in else APIClient()

    with django_assert_num_queries(EXPECTED[signed_in]):
        response = client.get(f"/api/v1/tweets/{tweet.pk}/")

    comments = response.json()["comments"]
    assert len(comments) == min(count, 20)
    assert all(item["has_liked"] is signed_in for item in comments)
