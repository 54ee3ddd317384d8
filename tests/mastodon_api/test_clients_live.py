"""Mastodon.py, a real client library, drives the layer on a live server (make run's,
embedded): app registration, the browser's login and consent, code + PKCE, then the API."""

import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonNotFoundError
from PIL import Image

from tests import embedded_server
from tests.mastodon_api.helpers import REDIRECT
from tests.mastodon_api.live import (
    SCOPES,
    Collector,
    base_url,
    browser_authorize,
    pkce_client,
    receive_until,
    user_stream,
)

embedded_database = embedded_server.embedded_database
start_server = embedded_server.start_server

pytestmark = pytest.mark.slow


@pytest.fixture
def server(start_server):
    return start_server()


def test_mastodon_py_code_flow_without_pkce_logs_in(server):
    client_id, client_secret = Mastodon.create_app(
        "Plain", scopes=SCOPES, redirect_uris=REDIRECT, api_base_url=base_url(server)
    )
    client = Mastodon(
        client_id=client_id, client_secret=client_secret, api_base_url=base_url(server)
    )
    code = browser_authorize(server, client_id, "alice", challenge=None)
    client.log_in(code=code, redirect_uri=REDIRECT, scopes=SCOPES, allow_http=True)
    assert client.account_verify_credentials()["username"] == "alice"


def test_mastodon_py_accounts_and_relations(server):
    carol = pkce_client(server, "carol")
    me = carol.account_verify_credentials()
    assert me["username"] == "carol"
    assert carol.instance()["version"].startswith("4.3.0")
    assert carol.instance_v2()["api_versions"] == {"mastodon": 2}

    dave_like = carol.account_lookup("alice")
    relationship = carol.account_follow(dave_like["id"])
    assert relationship["following"] is True
    assert carol.account_relationships([dave_like["id"]])[0]["following"] is True
    assert dave_like["id"] in {account["id"] for account in carol.account_following(me["id"])}

    carol.account_update_credentials(display_name="Carol C.", note="Hi #there")
    assert carol.account_verify_credentials()["display_name"] == "Carol C."

    assert carol.account_mute(dave_like["id"])["muting"] is True
    assert [account["id"] for account in carol.mutes()] == [dave_like["id"]]
    assert carol.account_unmute(dave_like["id"])["muting"] is False
    blocked = carol.account_block(dave_like["id"])
    assert blocked["blocking"] is True and blocked["following"] is False
    assert [account["id"] for account in carol.blocks()] == [dave_like["id"]]
    assert carol.account_unblock(dave_like["id"])["blocking"] is False
    assert [a["username"] for a in carol.account_search("ali")] == ["alice"]


def test_mastodon_py_statuses_timelines_and_notifications(server, tmp_path):
    alice = pkce_client(server, "alice", "Alice's app")
    carol = pkce_client(server, "carol", "Carol's app")
    alice_id = alice.account_verify_credentials()["id"]
    carol_id = carol.account_verify_credentials()["id"]

    # A photo with alt text, then a status with it.
    photo = tmp_path / "photo.png"
    Image.new("RGB", (40, 30), (10, 120, 200)).save(photo)
    media = alice.media_post(str(photo), mime_type="image/png", description="A blue square")
    assert media["description"] == "A blue square"
    posted = alice.status_post("Look at this #blue square", media_ids=[media["id"]])
    assert posted["media_attachments"][0]["meta"]["original"]["width"] == 40
    assert posted["media_attachments"][0]["description"] == "A blue square"
    assert 'rel="tag"' in posted["content"]

    # Carol follows alice, favourites and reblogs; alice hears of all three.
    assert carol.account_follow(alice_id)["following"] is True
    assert carol.status_favourite(posted["id"])["favourited"] is True
    reblog = carol.status_reblog(posted["id"])
    assert reblog["reblog"]["id"] == posted["id"]
    assert [a["id"] for a in alice.status_favourited_by(posted["id"])] == [carol_id]
    assert [a["id"] for a in alice.status_reblogged_by(posted["id"])] == [carol_id]
    # (The demo data gave alice notifications of her own; carol's two come first.)
    types = [n["type"] for n in alice.notifications() if n["account"]["id"] == carol_id]
    assert types[:2] == ["reblog", "favourite"]

    # Carol bookmarks it; alice pins it, then edits it: both texts are in its history.
    assert carol.status_bookmark(posted["id"])["bookmarked"] is True
    assert [s["id"] for s in carol.bookmarks()] == [posted["id"]]
    assert alice.status_pin(posted["id"])["pinned"] is True
    assert [s["id"] for s in carol.account_statuses(alice_id, pinned=True)] == [posted["id"]]
    edited = alice.status_update(posted["id"], status="Look at this #blue square!")
    assert edited["edited_at"] is not None
    history = alice.status_history(posted["id"])
    assert [edit["content"].rsplit(" ", 1)[1] for edit in history] == ["square</p>", "square!</p>"]
    assert carol.status_unbookmark(posted["id"])["bookmarked"] is False
    assert carol.bookmarks() == []

    # A reply, and the thread seen from it.
    reply = carol.status_post("Very blue", in_reply_to_id=posted["id"])
    assert reply["in_reply_to_id"] == posted["id"]
    assert [s["id"] for s in carol.status_context(reply["id"])["ancestors"]] == [posted["id"]]
    carol.status_delete(reply["id"])

    # Carol's home timeline, paged through Link headers (Mastodon.py's fetch_next).
    for index in range(3):
        alice.status_post(f"note {index}", idempotency_key=f"note-{index}")
    alice.status_post("note 2", idempotency_key="note-2")  # a retry: posted once
    first = carol.timeline_home(limit=2)
    assert [s["content"] for s in first] == ["<p>note 2</p>", "<p>note 1</p>"]
    second = carol.fetch_next(first)
    assert [s["content"] for s in second] == ["<p>note 0</p>", ""]  # then her reblog
    assert second[1]["reblog"]["id"] == posted["id"]

    # A status alice deletes leaves carol's home timeline: its `delete` arrives on her
    # socket, parsed by Mastodon.py's listener.
    listener = Collector()
    with user_stream(server, carol) as socket:
        doomed = alice.status_post("soon gone")
        assert receive_until(socket, listener, "update")["id"] == doomed["id"]
        alice.status_delete(doomed["id"])
        assert str(receive_until(socket, listener, "delete")) == str(doomed["id"])

    # Search, then mute and block, then delete.
    found = carol.search_v2("blue")
    assert [s["id"] for s in found["statuses"]] == [posted["id"]]
    assert [h["name"] for h in found["hashtags"]] == ["blue"]
    assert carol.account_mute(alice_id)["muting"] is True
    home = carol.timeline_home()
    assert home[0]["id"] == reblog["id"]  # her own reblog stays; alice's statuses go
    assert all(status["account"]["id"] != alice_id for status in home)
    carol.account_unmute(alice_id)
    assert carol.account_block(alice_id)["blocking"] is True
    home = carol.timeline_home()
    assert all(
        alice_id not in (s["account"]["id"], (s["reblog"] or s)["account"]["id"]) for s in home
    )
    deleted = alice.status_delete(posted["id"])
    assert deleted["text"] == "Look at this #blue square!"
    with pytest.raises(MastodonNotFoundError):
        alice.status(posted["id"])
