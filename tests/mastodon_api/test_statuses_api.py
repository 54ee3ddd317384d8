"""Statuses, media and timelines through the Mastodon layer: each a translation to Chirp's
tweets, likes, retweets and newsfeed (docs/mastodon.md)."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from friendships import services as friendship_services
from mastodon_api.models import MediaUpload
from mastodon_api.tasks import purge_media
from tests.factories import TweetFactory, UserFactory
from tests.mastodon_api import schemas
from tests.mastodon_api.helpers import ROOT
from tests.newsfeeds import test_query_counts
from tests.newsfeeds.test_query_counts import cold_queries, warm_queries
from tests.tweets.helpers import image_bytes
from tweets import services as tweet_services
from tweets.models import Tweet

pytestmark = pytest.mark.django_db

HOME = f"{ROOT}/api/v1/timelines/home"


def upload(client, description="A gradient"):
    photo = SimpleUploadedFile("photo.jpg", image_bytes(), content_type="image/jpeg")
    response = client.post(
        f"{ROOT}/api/v2/media", {"file": photo, "description": description}, format="multipart"
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_post_a_status_with_a_photo(erin_client, erin):
    media = upload(erin_client)
    schemas.check(media, schemas.MEDIA_ATTACHMENT)
    assert media["description"] == "A gradient"
    response = erin_client.post(
        f"{ROOT}/api/v1/statuses",
        {"status": "Hello <b>#Django</b> @nobody & @erin", "media_ids": [media["id"]]},
    )
    assert response.status_code == 200, response.content
    status = response.json()
    schemas.check(status, schemas.STATUS)
    assert status["account"]["username"] == "erin"
    assert status["content"] == (
        '<p>Hello &lt;b&gt;<a href="http://testserver/api/v1/tweets/?hashtag=django" '
        'class="mention hashtag" rel="tag">#<span>Django</span></a>&lt;/b&gt; @nobody &amp; '
        '<span class="h-card"><a href="http://testserver/api/v1/users/erin/" '
        'class="u-url mention">@<span>erin</span></a></span></p>'
    )
    assert status["tags"] == [
        {"name": "django", "url": "http://testserver/api/v1/tweets/?hashtag=django"}
    ]
    assert [m["username"] for m in status["mentions"]] == ["erin"]
    assert len(status["media_attachments"]) == 1
    assert status["media_attachments"][0]["meta"]["original"]["width"] == 64
    assert status["media_attachments"][0]["description"] == "A gradient"
    tweet = Tweet.objects.get(pk=status["id"])
    assert tweet.photos.get().alt_text == "A gradient"


def test_a_status_cannot_use_someone_elses_media(erin_client, make_auth_client):
    media = upload(make_auth_client())
    response = erin_client.post(
        f"{ROOT}/api/v1/statuses", {"status": "x", "media_ids": [media["id"]]}
    )
    assert response.status_code == 404
    assert response.json()["error"] == "Record not found"


def test_a_reply_and_its_context(erin_client, erin):
    tweet = TweetFactory(text="root")
    response = erin_client.post(
        f"{ROOT}/api/v1/statuses", {"status": "a reply", "in_reply_to_id": str(tweet.pk)}
    )
    assert response.status_code == 200, response.content
    reply = response.json()
    assert reply["in_reply_to_id"] == str(tweet.pk)
    assert reply["in_reply_to_account_id"] == str(tweet.user_id)
    root = erin_client.get(f"{ROOT}/api/v1/statuses/{tweet.pk}").json()
    assert root["replies_count"] == 1
    context = erin_client.get(f"{ROOT}/api/v1/statuses/{tweet.pk}/context").json()
    schemas.check(context, schemas.CONTEXT)
    assert context["ancestors"] == []
    assert [s["id"] for s in context["descendants"]] == [reply["id"]]
    above = erin_client.get(f"{ROOT}/api/v1/statuses/{reply['id']}/context").json()
    assert [s["id"] for s in above["ancestors"]] == [str(tweet.pk)]


def test_a_reply_to_a_hidden_status_and_direct_statuses_are_refused(erin_client):
    hidden = TweetFactory(user=UserFactory(is_protected=True))
    reply = erin_client.post(
        f"{ROOT}/api/v1/statuses", {"status": "x", "in_reply_to_id": str(hidden.pk)}
    )
    assert reply.status_code == 404
    direct = erin_client.post(f"{ROOT}/api/v1/statuses", {"status": "x", "visibility": "direct"})
    assert direct.status_code == 422
    assert Tweet.objects.filter(text="x").count() == 0


def test_idempotency_key_posts_once(erin_client):
    headers = {"HTTP_IDEMPOTENCY_KEY": "mastodon-key-1"}
    first = erin_client.post(f"{ROOT}/api/v1/statuses", {"status": "once"}, **headers)
    again = erin_client.post(f"{ROOT}/api/v1/statuses", {"status": "once"}, **headers)
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Tweet.objects.filter(text="once").count() == 1


def test_favourite_reblog_and_who_did(erin_client, erin):
    tweet = TweetFactory(text="nice")
    url = f"{ROOT}/api/v1/statuses/{tweet.pk}"
    favourited = erin_client.post(f"{url}/favourite").json()
    assert favourited["favourited"] is True and favourited["favourites_count"] == 1
    reblog = erin_client.post(f"{url}/reblog").json()
    schemas.check(reblog, schemas.STATUS)
    assert reblog["account"]["username"] == "erin"
    assert reblog["reblog"]["id"] == str(tweet.pk)
    assert reblog["reblog"]["reblogged"] is True
    assert [a["username"] for a in erin_client.get(f"{url}/favourited_by").json()] == ["erin"]
    assert [a["username"] for a in erin_client.get(f"{url}/reblogged_by").json()] == ["erin"]
    assert erin_client.post(f"{url}/unfavourite").json()["favourited"] is False
    unreblogged = erin_client.post(f"{url}/unreblog").json()
    assert unreblogged["reblogged"] is False and unreblogged["reblogs_count"] == 0


def test_delete_answers_the_status_with_its_text(erin_client, erin):
    tweet = TweetFactory(user=erin, text="to redraft")
    response = erin_client.delete(f"{ROOT}/api/v1/statuses/{tweet.pk}")
    assert response.status_code == 200
    assert response.json()["text"] == "to redraft"
    assert not Tweet.objects.filter(pk=tweet.pk).exists()


def test_someone_elses_status_cannot_be_deleted(erin_client):
    tweet = TweetFactory()
    assert erin_client.delete(f"{ROOT}/api/v1/statuses/{tweet.pk}").status_code == 403
    assert Tweet.objects.filter(pk=tweet.pk).exists()


def test_protected_accounts_statuses_stay_hidden(erin_client):
    tweet = TweetFactory(user=UserFactory(is_protected=True))
    assert erin_client.get(f"{ROOT}/api/v1/statuses/{tweet.pk}").status_code == 404
    assert erin_client.post(f"{ROOT}/api/v1/statuses/{tweet.pk}/favourite").status_code == 404


def test_home_timeline_pages_with_link_headers(
    erin_client, erin, django_capture_on_commit_callbacks
):
    author = UserFactory()
    tweets = [TweetFactory(user=author, text=f"t{index}") for index in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        erin_client.post(f"{ROOT}/api/v1/accounts/{author.pk}/follow")
    first = erin_client.get(HOME, {"limit": 2})
    assert [s["id"] for s in first.json()] == [str(tweets[4].pk), str(tweets[3].pk)]
    link = first["Link"]
    assert f"max_id={tweets[3].pk}" in link and 'rel="next"' in link
    assert f"min_id={tweets[4].pk}" in link and 'rel="prev"' in link
    older = erin_client.get(HOME, {"limit": 2, "max_id": tweets[3].pk}).json()
    assert [s["id"] for s in older] == [str(tweets[2].pk), str(tweets[1].pk)]
    newer = erin_client.get(HOME, {"limit": 2, "min_id": tweets[1].pk}).json()
    assert [s["id"] for s in newer] == [str(tweets[3].pk), str(tweets[2].pk)]
    since = erin_client.get(HOME, {"limit": 2, "since_id": tweets[1].pk}).json()
    assert [s["id"] for s in since] == [str(tweets[4].pk), str(tweets[3].pk)]


def test_tag_and_public_timelines(erin_client):
    tagged = TweetFactory(text="about #python")
    TweetFactory(text="about nothing")
    body = erin_client.get(f"{ROOT}/api/v1/timelines/tag/Python").json()
    assert [s["id"] for s in body] == [str(tagged.pk)]
    assert len(erin_client.get(f"{ROOT}/api/v1/timelines/public").json()) == 2


# The newsfeed's reader: 105 varied tweets of one followed account in the feed.
reader = test_query_counts.reader


# The newsfeed's queries (tests/newsfeeds/test_query_counts.py) and one more: the page's
# accounts (authors, reblogged authors, mentioned accounts, with their newest status).
ACCOUNTS = 1


@pytest.mark.parametrize("limit", [1, 40])
def test_home_timeline_query_count_is_fixed(
    reader, limit, make_auth_client, django_assert_num_queries
):
    client = make_auth_client(reader)
    with django_assert_num_queries(cold_queries() + ACCOUNTS):
        cold = client.get(HOME, {"limit": limit})
    with django_assert_num_queries(warm_queries() + ACCOUNTS):
        warm = client.get(HOME, {"limit": limit})
    assert warm.status_code == 200
    assert len(warm.json()) == limit
    assert warm.json() == cold.json()


def test_unposted_media_is_purged_after_its_ttl(
    erin_client, settings, django_capture_on_commit_callbacks
):
    media = upload(erin_client)
    path = settings.MEDIA_ROOT / MediaUpload.objects.get(pk=media["id"]).image.name
    assert path.is_file()
    assert purge_media() == 0
    later = timezone.now() + timedelta(seconds=settings.MASTODON_MEDIA_TTL + 1)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        assert purge_media() == 1
    assert not MediaUpload.objects.filter(pk=media["id"]).exists()
    assert not path.exists()


def test_a_posted_photo_leaves_no_upload_behind(
    erin_client, settings, django_capture_on_commit_callbacks
):
    media = upload(erin_client)
    path = settings.MEDIA_ROOT / MediaUpload.objects.get(pk=media["id"]).image.name
    with django_capture_on_commit_callbacks(execute=True):
        erin_client.post(f"{ROOT}/api/v1/statuses", {"status": "", "media_ids": [media["id"]]})
    assert not MediaUpload.objects.exists()
    assert not path.exists()


# A page with replies among its statuses reads their parents' authors too, in one query.
REPLY_AUTHORS = 1


def test_home_timeline_with_replies_costs_one_query_more(
    make_auth_client, django_assert_num_queries
):
    reader, author = UserFactory.create_batch(2)
    parents = [TweetFactory(user=reader) for _ in range(3)]  # replies to the reader show
    for parent in parents:
        tweet_services.create_tweet(author=author, text="a reply", in_reply_to_id=parent.pk)
    friendship_services.follow_user(follower=reader, username=author.username)
    client = make_auth_client(reader)
    with django_assert_num_queries(cold_queries() + ACCOUNTS + REPLY_AUTHORS):
        cold = client.get(HOME, {"limit": 3})
    with django_assert_num_queries(warm_queries() + ACCOUNTS + REPLY_AUTHORS):
        warm = client.get(HOME, {"limit": 3})
    assert warm.json() == cold.json()
    assert [s["in_reply_to_account_id"] for s in warm.json()] == [
        str(parent.user_id) for parent in reversed(parents)
    ]


def test_edit_a_status_and_read_its_source(erin_client, erin):
    tweet = TweetFactory(user=erin, text="first #draft")
    url = f"{ROOT}/api/v1/statuses/{tweet.pk}"
    source = erin_client.get(f"{url}/source").json()
    assert source == {"id": str(tweet.pk), "text": "first #draft", "spoiler_text": ""}
    edited = erin_client.put(url, {"status": "second #take"})
    assert edited.status_code == 200, edited.content
    assert edited.json()["edited_at"] is not None
    assert [tag["name"] for tag in edited.json()["tags"]] == ["take"]


def test_someone_elses_status_cannot_be_edited(erin_client):
    tweet = TweetFactory(text="theirs")
    assert erin_client.put(f"{ROOT}/api/v1/statuses/{tweet.pk}", {"status": "x"}).status_code == 403
    tweet.refresh_from_db()
    assert tweet.text == "theirs"
