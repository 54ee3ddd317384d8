"""Notifications (Chirp's verbs as Mastodon's types), search, trends and conversations
through the Mastodon layer."""

import pytest

from messaging import services as messaging_services
from notifications.models import Notification
from tests.factories import TweetFactory, UserFactory
from tests.mastodon_api import schemas
from tests.mastodon_api.helpers import ROOT
from tweets import services as tweet_services

pytestmark = pytest.mark.django_db

NOTIFICATIONS = f"{ROOT}/api/v1/notifications"


@pytest.fixture
def activity(erin, make_auth_client):
    """Frank follows erin, favourites and reblogs her status, mentions her, comments on it."""
    frank = UserFactory(username="frank")
    client = make_auth_client(frank)
    tweet = TweetFactory(user=erin, text="mine")
    client.post(f"{ROOT}/api/v1/accounts/{erin.pk}/follow")
    client.post(f"{ROOT}/api/v1/statuses/{tweet.pk}/favourite")
    client.post(f"{ROOT}/api/v1/statuses/{tweet.pk}/reblog")
    mention = tweet_services.create_tweet(author=frank, text="hi @erin")
    tweet_services.create_comment(author=frank, tweet_id=tweet.pk, text="a comment")
    return frank, tweet, mention


def test_notifications_have_mastodons_types(erin_client, activity):
    _, tweet, mention = activity
    body = erin_client.get(NOTIFICATIONS).json()
    for item in body:
        schemas.check(item, schemas.NOTIFICATION)
    # Newest first; the comment (no Mastodon type) is left out.
    assert [item["type"] for item in body] == ["mention", "reblog", "favourite", "follow"]
    assert {item["account"]["username"] for item in body} == {"frank"}
    assert body[0]["status"]["id"] == str(mention.pk)
    assert body[1]["status"]["id"] == str(tweet.pk)
    assert "status" not in body[3]


def test_notifications_filter_by_type(erin_client, activity):
    only = erin_client.get(NOTIFICATIONS, {"types[]": ["favourite", "follow"]}).json()
    assert [item["type"] for item in only] == ["favourite", "follow"]
    without = erin_client.get(NOTIFICATIONS, {"exclude_types[]": ["mention"]}).json()
    assert [item["type"] for item in without] == ["reblog", "favourite", "follow"]


def test_dismiss_and_clear(erin_client, erin, activity):
    first = erin_client.get(NOTIFICATIONS).json()[0]
    one = erin_client.get(f"{NOTIFICATIONS}/{first['id']}")
    assert one.json()["id"] == first["id"]
    assert erin_client.post(f"{NOTIFICATIONS}/{first['id']}/dismiss").json() == {}
    assert not Notification.objects.filter(pk=first["id"]).exists()
    assert erin_client.post(f"{NOTIFICATIONS}/clear").json() == {}
    assert not Notification.objects.filter(recipient=erin).exists()


def test_another_users_notification_is_404(erin_client, make_auth_client, activity):
    first = erin_client.get(NOTIFICATIONS).json()[0]
    other = make_auth_client()
    assert other.get(f"{NOTIFICATIONS}/{first['id']}").status_code == 404
    assert other.post(f"{NOTIFICATIONS}/{first['id']}/dismiss").status_code == 404


def test_search_finds_accounts_statuses_and_hashtags(erin_client):
    UserFactory(username="pythonista")
    tweet = TweetFactory(text="learning #pythonic ways")
    body = erin_client.get(f"{ROOT}/api/v2/search", {"q": "pythonic"}).json()
    schemas.check(body, schemas.SEARCH)
    assert [s["id"] for s in body["statuses"]] == [str(tweet.pk)]
    assert [h["name"] for h in body["hashtags"]] == ["pythonic"]
    accounts = erin_client.get(f"{ROOT}/api/v2/search", {"q": "python", "type": "accounts"})
    assert [a["username"] for a in accounts.json()["accounts"]] == ["pythonista"]


def test_trending_tags(erin_client):
    TweetFactory(text="#rust is fun")
    tweet_services.compute_trends()
    body = erin_client.get(f"{ROOT}/api/v1/trends/tags").json()
    for tag in body:
        schemas.check(tag, schemas.TREND_TAG)
    assert [tag["name"] for tag in body] == ["rust"]
    assert body[0]["history"][0]["uses"] == "1"


def test_conversations(erin_client, erin):
    gina = UserFactory(username="gina")
    conversation, _ = messaging_services.get_or_create_conversation(user=gina, username="erin")
    messaging_services.send_message(sender=gina, conversation=conversation, text="hey")
    body = erin_client.get(f"{ROOT}/api/v1/conversations").json()
    for item in body:
        schemas.check(item, schemas.CONVERSATION)
    assert [a["username"] for a in body[0]["accounts"]] == ["gina"]
    assert body[0]["unread"] is True
