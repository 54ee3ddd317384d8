"""Data exports (docs/api.md "Account deletion and data export", docs/lifecycle.md): one at
a time, built in steps with progress, a signed expiring download for its owner only."""

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from accounts import services as account_services
from friendships import services as friendship_services
from lifecycle import services
from lifecycle.models import DataExport
from messaging import services as messaging_services
from notifications.models import Notification
from tests.conftest import authenticate, set_throttle_rates
from tests.factories import CommentFactory, FriendshipFactory, TweetFactory, UserFactory
from tests.shapes import ANY, error, iso
from tests.tweets.helpers import image_upload
from tweets import services as tweet_services
from tweets.models import Bookmark

EXPORTS = "/api/v1/me/exports/"

pytestmark = pytest.mark.django_db


def export_url(export_id: int) -> str:
    return f"{EXPORTS}{export_id}/"


def start(client, capture, *, execute: bool = True):
    with capture(execute=execute):
        return client.post(EXPORTS)


def archive_of(client, url: str) -> zipfile.ZipFile:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_archive_holds_edits_pins_replies_alt_texts_blocks_and_mutes(
    alice, bob, alice_client, django_capture_on_commit_callbacks
):
    carol = UserFactory(username="carol")
    FriendshipFactory(follower=alice, followee=bob)
    theirs = TweetFactory(user=bob, text="bob's")
    tweet = tweet_services.create_tweet(
        author=alice, text="first", photos=[image_upload()], alt_texts=["a red square"]
    )
    tweet_services.edit_tweet(editor=alice, tweet_id=tweet.pk, text="second")
    tweet_services.pin_tweet(user=alice, tweet_id=tweet.pk)
    reply = tweet_services.create_tweet(author=alice, text="a reply", in_reply_to_id=theirs.pk)
    friendship_services.block_user(blocker=alice, username=carol.username)
    friendship_services.mute_user(muter=alice, username=bob.username, duration=3600)

    body = start(alice_client, django_capture_on_commit_callbacks).json()
    archive = archive_of(
        alice_client, alice_client.get(export_url(body["id"])).json()["download_url"]
    )

    def part(name):
        return json.loads(archive.read(f"{name}.json"))

    tweets = {t["id"]: t for t in part("tweets")}
    assert tweets[tweet.pk]["text"] == "second"
    assert tweets[reply.pk]["in_reply_to_id"] == theirs.pk
    assert [(e["tweet_id"], e["text"]) for e in part("edits")] == [(tweet.pk, "first")]
    assert [p["tweet_id"] for p in part("pins")] == [tweet.pk]
    assert [m["alt_text"] for m in part("media")] == ["a red square"]
    assert [b["username"] for b in part("blocks")] == [carol.username]
    mutes = part("mutes")
    assert [m["username"] for m in mutes] == [bob.username] and mutes[0]["expires_at"]


def test_an_export_is_built_and_downloaded_by_its_owner(
    alice, bob, alice_client, django_capture_on_commit_callbacks
):
    FriendshipFactory(follower=alice, followee=bob)
    FriendshipFactory(follower=bob, followee=alice)
    tweet = TweetFactory(user=alice, text="mine #export", photos=[image_upload()])
    theirs = TweetFactory(user=bob, text="bob's")
    tweet_services.like_tweet(user=alice, tweet_id=theirs.pk)
    Bookmark.objects.create(user=alice, tweet=theirs)
    CommentFactory(tweet=theirs, user=alice, text="a comment")
    conversation, _ = messaging_services.get_or_create_conversation(user=bob, username="alice")
    messaging_services.send_message(sender=bob, conversation=conversation, text="hello alice")
    account_services.update_profile(user=alice, data={"avatar": image_upload("PNG")})
    alice.refresh_from_db()

    response = start(alice_client, django_capture_on_commit_callbacks)

    assert response.status_code == 202
    export = DataExport.objects.get(user=alice)
    assert response.json() == {
        "id": export.pk,
        "status": "pending",
        "progress": 0,
        "download_url": None,
        "expires_at": None,
    }
    body = alice_client.get(export_url(export.pk)).json()
    export.refresh_from_db()
    assert body == {
        "id": export.pk,
        "status": "done",
        "progress": 100,
        "download_url": ANY,
        "expires_at": iso(export.expires_at),
    }
    assert export.expires_at - export.completed_at == timedelta(days=7)
    url = body["download_url"]
    assert url.startswith(f"http://testserver{export_url(export.pk)}download/?signature=")

    archive = archive_of(alice_client, url)
    names = set(archive.namelist())
    assert {
        "profile.json", "tweets.json", "comments.json", "likes.json", "following.json",
        "followers.json", "bookmarks.json", "messages.json", "notifications.json", "media.json",
    } <= names  # fmt: skip
    profile = json.loads(archive.read("profile.json"))
    assert profile["username"] == "alice" and profile["email"] == alice.email
    assert [t["text"] for t in json.loads(archive.read("tweets.json"))] == ["mine #export"]
    assert [c["text"] for c in json.loads(archive.read("comments.json"))] == ["a comment"]
    assert [like["tweet_id"] for like in json.loads(archive.read("likes.json"))] == [theirs.pk]
    assert [b["tweet_id"] for b in json.loads(archive.read("bookmarks.json"))] == [theirs.pk]
    assert [f["username"] for f in json.loads(archive.read("following.json"))] == ["bob"]
    assert [f["username"] for f in json.loads(archive.read("followers.json"))] == ["bob"]
    messages = json.loads(archive.read("messages.json"))
    assert [(m["sender_username"], m["text"]) for m in messages] == [("bob", "hello alice")]
    verbs = {n["verb"] for n in json.loads(archive.read("notifications.json"))}
    assert verbs == set(Notification.objects.filter(recipient=alice).values_list("verb", flat=True))
    photo = tweet.photos.get()
    assert f"media/{photo.image.name}" in names
    assert f"media/{alice.avatar.name}" in names
    assert archive.read(f"media/{photo.image.name}") == photo.image.read()


def test_progress_is_reported_while_the_export_runs(
    alice, alice_client, django_capture_on_commit_callbacks, settings
):
    settings.DATA_EXPORT_BATCH_SIZE = 2
    settings.LIFECYCLE_TASK_SECONDS = 0  # one page per run
    for n in range(5):
        TweetFactory(user=alice, text=f"tweet {n}")
    response = start(alice_client, django_capture_on_commit_callbacks, execute=False)
    export_id = response.json()["id"]

    seen = []
    while (result := services.build_export(export_id=export_id)) is False:
        body = alice_client.get(export_url(export_id)).json()
        seen.append((body["status"], body["progress"]))
        assert body["download_url"] is None and body["expires_at"] is None
    assert result is True
    assert seen[0] == ("running", 0)  # tweets: three pages
    assert all(status == "running" for status, _ in seen)
    progress = [value for _, value in seen]
    assert progress == sorted(progress) and 0 < progress[-1] < 100
    body = alice_client.get(export_url(export_id)).json()
    assert (body["status"], body["progress"]) == ("done", 100)
    archive = archive_of(alice_client, body["download_url"])
    tweets = json.loads(archive.read("tweets.json"))
    assert sorted(t["text"] for t in tweets) == [f"tweet {n}" for n in range(5)]


def test_one_export_at_a_time(alice, alice_client, django_capture_on_commit_callbacks):
    first = start(alice_client, django_capture_on_commit_callbacks, execute=False).json()

    again = start(alice_client, django_capture_on_commit_callbacks, execute=False)

    assert again.status_code == 202
    assert again.json() == first  # the running one, not a second
    assert DataExport.objects.filter(user=alice).count() == 1
    services.build_export(export_id=first["id"])
    third = start(alice_client, django_capture_on_commit_callbacks, execute=False)
    assert third.json()["id"] != first["id"]  # once it is done, a new one may start
    assert DataExport.objects.filter(user=alice).count() == 2


def test_list_of_exports_newest_first(alice, alice_client, django_capture_on_commit_callbacks):
    first = start(alice_client, django_capture_on_commit_callbacks).json()
    second = start(alice_client, django_capture_on_commit_callbacks).json()

    page = alice_client.get(EXPORTS).json()

    assert [item["id"] for item in page["results"]] == [second["id"], first["id"]]


def test_someone_elses_export_and_its_link_are_404(
    alice, alice_client, bob_client, django_capture_on_commit_callbacks
):
    export_id = start(alice_client, django_capture_on_commit_callbacks).json()["id"]
    url = alice_client.get(export_url(export_id)).json()["download_url"]

    assert bob_client.get(export_url(export_id)).json() == error("not_found", ANY)
    assert bob_client.get(export_url(export_id)).status_code == 404
    assert bob_client.get(url).status_code == 404
    assert bob_client.get(EXPORTS).json()["results"] == []
    assert alice_client.get(export_url(export_id + 1000)).status_code == 404


def test_anonymous_is_401(api_client, alice, alice_client, django_capture_on_commit_callbacks):
    export_id = start(alice_client, django_capture_on_commit_callbacks).json()["id"]
    url = alice_client.get(export_url(export_id)).json()["download_url"]

    assert api_client.post(EXPORTS).status_code == 401
    assert api_client.get(export_url(export_id)).status_code == 401
    assert api_client.get(url).status_code == 401


def test_a_tampered_or_missing_signature_is_404(
    alice, alice_client, django_capture_on_commit_callbacks
):
    export_id = start(alice_client, django_capture_on_commit_callbacks).json()["id"]
    url = alice_client.get(export_url(export_id)).json()["download_url"]
    signature = parse_qs(urlsplit(url).query)["signature"][0]
    base = f"{export_url(export_id)}download/"

    assert alice_client.get(base).status_code == 404
    assert alice_client.get(f"{base}?signature={signature}x").status_code == 404
    response = alice_client.get(f"{base}?signature=1:abc")
    assert response.status_code == 404
    assert response.json() == error("not_found", ANY)
    # A link of one export does not open another.
    other_id = start(alice_client, django_capture_on_commit_callbacks).json()["id"]
    assert (
        alice_client.get(f"{export_url(other_id)}download/?signature={signature}").status_code
        == 404
    )


def test_an_expired_link_is_404_and_the_archive_is_deleted(
    alice, alice_client, django_capture_on_commit_callbacks, settings, time_machine
):
    export_id = start(alice_client, django_capture_on_commit_callbacks).json()["id"]
    url = alice_client.get(export_url(export_id)).json()["download_url"]

    time_machine.move_to(timezone.now() + timedelta(days=7, seconds=1), tick=False)
    authenticate(alice_client, alice)  # the access token expired too
    assert alice_client.get(url).status_code == 404
    body = alice_client.get(export_url(export_id)).json()
    assert body["download_url"] is None and body["expires_at"] is None
    assert services.expire_exports() == 1
    export = DataExport.objects.get(pk=export_id)
    assert not export.archive
    storage_root = settings.STORAGES["exports"]["OPTIONS"]["location"]
    assert not any(path.is_file() for path in Path(storage_root).rglob("*"))


def test_the_link_lifetime_is_a_setting(
    alice, alice_client, django_capture_on_commit_callbacks, settings, time_machine
):
    settings.DATA_EXPORT_LINK_MAX_AGE = 60
    export_id = start(alice_client, django_capture_on_commit_callbacks).json()["id"]
    url = alice_client.get(export_url(export_id)).json()["download_url"]
    assert alice_client.get(url).status_code == 200

    time_machine.move_to(timezone.now() + timedelta(seconds=61), tick=False)
    assert alice_client.get(url).status_code == 404


def test_a_failing_export_is_retried_then_failed(
    alice, alice_client, django_capture_on_commit_callbacks, settings, monkeypatch
):
    settings.DATA_EXPORT_MAX_ATTEMPTS = 2
    export_id = start(alice_client, django_capture_on_commit_callbacks, execute=False).json()["id"]

    def broken(user_id):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "EXPORT_PARTS", (("tweets", broken),))
    for _ in range(2):
        with pytest.raises(RuntimeError):
            services.build_export(export_id=export_id)
    body = alice_client.get(export_url(export_id)).json()
    assert body["status"] == "failed" and body["download_url"] is None
    assert DataExport.objects.get(pk=export_id).error == "RuntimeError: disk on fire"
    # A failed export does not block a new one.
    assert start(alice_client, django_capture_on_commit_callbacks, execute=False).json()["id"] != (
        export_id
    )


def test_exports_are_throttled(alice_client, settings, django_capture_on_commit_callbacks):
    set_throttle_rates(settings, export="1/day")
    assert start(alice_client, django_capture_on_commit_callbacks).status_code == 202
    response = start(alice_client, django_capture_on_commit_callbacks)
    assert response.status_code == 429
    assert "Retry-After" in response


def test_a_deleted_account_loses_its_exports(
    alice, alice_client, django_capture_on_commit_callbacks, settings
):
    start(alice_client, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.delete("/api/v1/me/", {"password": "a-long-test-passphrase-42"})
    assert response.status_code == 202
    assert not DataExport.objects.filter(user=alice).exists()
    storage_root = settings.STORAGES["exports"]["OPTIONS"]["location"]
    assert not any(path.is_file() for path in Path(storage_root).rglob("*"))
