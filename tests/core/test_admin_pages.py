"""Every model has an admin, and every changelist opens for staff (with rows in it)."""

import re

import pytest
from django.apps import apps
from django.contrib import admin

from tests.factories import CommentFactory, TweetFactory, UserFactory

PROJECT_APPS = {
    "accounts",
    "tweets",
    "friendships",
    "newsfeeds",
    "notifications",
    "messaging",
    "facebook_connect",
    "moderation",
}


def project_models():
    return [model for model in apps.get_models() if model._meta.app_label in PROJECT_APPS]


def test_every_project_model_has_an_admin():
    missing = [model._meta.label for model in project_models() if model not in admin.site._registry]
    assert missing == []


def test_every_model_has_a_plural_in_english():
    """Django makes plurals by appending "s": "fanout batchs" needs verbose_name_plural."""
    wrong = [
        str(model._meta.verbose_name_plural)
        for model in project_models()
        if re.search(r"(ch|sh|s|x|z)s$", str(model._meta.verbose_name_plural))
    ]
    assert wrong == []


@pytest.mark.django_db
def test_every_changelist_opens_for_staff(client, django_capture_on_commit_callbacks):
    from friendships.services import follow_user
    from messaging.services import get_or_create_conversation, send_message
    from moderation.services import create_report, dismiss_case
    from tweets.services import like_tweet, retweet

    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    with django_capture_on_commit_callbacks(execute=True):
        follow_user(follower=bob, username="alice")
        tweet = TweetFactory(user=alice, text="hello #admin @bob")
        CommentFactory(tweet=tweet, user=bob)
        like_tweet(user=bob, tweet_id=tweet.pk)
        retweet(user=bob, tweet_id=tweet.pk)
        conversation, _ = get_or_create_conversation(user=bob, username="alice")
        send_message(sender=bob, conversation=conversation, text="hi")
        report, _ = create_report(
            reporter=bob, target_type="tweet", target_id=tweet.pk, reason="spam"
        )
        dismiss_case(moderator=None, case_id=report.case_id)
        create_report(reporter=alice, target_type="user", username="bob", reason="abuse")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for model in project_models():
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url
