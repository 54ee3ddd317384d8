"""Mastodon.py, a real client library, drives the layer on a live server (make run's,
embedded): app registration, the browser's login and consent, code + PKCE, then the API."""

import pytest
from mastodon import Mastodon

from tests import embedded_server
from tests.mastodon_api.helpers import REDIRECT
from tests.mastodon_api.live import SCOPES, base_url, browser_authorize, pkce_client

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
