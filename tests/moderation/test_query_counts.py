"""Hidden content and suspended users cost no query on lists: the filters are columns of
rows each list joins anyway (tweets.selectors.available, the newsfeed's render query,
notifications.selectors.shown). Every list of tests/safety/test_query_counts.py is measured
before and after hiding tweets and a comment and suspending users, at page sizes 1 and 20:
the same counts."""

import pytest
from rest_framework.test import APIClient

from accounts import services as account_services
from newsfeeds import services as newsfeed_services
from notifications import services as notification_services
from notifications.models import Verb
from tests.conftest import authenticate
from tests.factories import CommentFactory, FriendshipFactory, UserFactory
from tests.safety.test_query_counts import measure, world  # noqa: F401 (world: a fixture)
from tweets import services as tweet_services
from tweets.models import Comment, Tweet

pytestmark = pytest.mark.django_db


def suspend(user) -> None:
    account_services.suspend_user(user=user)
    newsfeed_services.withdraw_author(author=user)


def test_lists_cost_the_same_queries_with_hidden_content_and_suspended_users(
    world,  # noqa: F811
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    main, viewer = world["main"], world["viewer"]
    # Two more fans, so that a full page of comments, likes and followers remains.
    for fan in UserFactory.create_batch(2):
        tweet_services.like_tweet(user=fan, tweet_id=main.pk)
        CommentFactory(tweet=main, user=fan)
        FriendshipFactory(follower=fan, followee=main.user)
        notification_services.notify(recipient_id=viewer.pk, actor=fan, verb=Verb.FOLLOWED)
    client = authenticate(APIClient(), viewer)
    measure(client, django_assert_num_queries, world, "nothing hidden")

    with django_capture_on_commit_callbacks(execute=True):
        for tweet in Tweet.objects.filter(user=main.user, retweet_of=None).exclude(pk=main.pk)[:2]:
            tweet_services.hide_tweet(tweet_id=tweet.pk)
        tweet_services.hide_comment(comment_id=Comment.objects.filter(tweet=main).first().pk)
        suspend(Comment.objects.filter(tweet=main).last().user)  # a fan: like, comment, follow
        suspend(UserFactory._meta.model.objects.get(username="friend"))  # retweeted originals

    measure(client, django_assert_num_queries, world, "hidden content and suspended users")
