"""The avatar fetch fence (docs/reliability.md trap 10), with the production settings: no
insecure-host exemption, the default allowed hosts and byte cap."""

import pytest

from accounts.models import User
from facebook_connect.avatar import check_url, fetch_avatar, public_address
from facebook_connect.exceptions import AvatarRefused
from tests.facebook_connect.helpers import fb_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def production_fence(settings):
    settings.FACEBOOK_AVATAR_ALLOW_INSECURE_HOSTS = []
    settings.FACEBOOK_AVATAR_ALLOWED_HOSTS = ["fbcdn.net", "fbsbx.com"]
    settings.FACEBOOK_AVATAR_MAX_BYTES = 2 * 1024 * 1024
    return settings


@pytest.mark.parametrize(
    "url",
    [
        "http://scontent.xx.fbcdn.net/avatar.jpg",  # not https
        "ftp://scontent.xx.fbcdn.net/avatar.jpg",
        "file:///etc/passwd",
        "https://evil.example.com/avatar.jpg",  # not an allowed host
        "https://fbcdn.net.evil.example.com/a.jpg",  # allowed name as a prefix only
        "https://evilfbcdn.net/a.jpg",
        "https://user:pass@scontent.xx.fbcdn.net/a.jpg",  # credentials in the URL
        "https:///no-host",
        "not a url",
    ],
)
def test_urls_outside_the_fence_are_refused(production_fence, url):
    with pytest.raises(AvatarRefused):
        check_url(url)


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("localhost", "https://localhost/avatar.png"),  # resolves to loopback
        ("127.0.0.1", "https://127.0.0.1/avatar.png"),
        ("10.0.0.7", "https://10.0.0.7/avatar.png"),  # private
        ("192.168.1.1", "https://192.168.1.1/avatar.png"),
        (
            "169.254.169.254",
            "https://169.254.169.254/latest/meta-data/",
        ),  # link-local (cloud metadata)
        ("100.64.0.1", "https://100.64.0.1/a.png"),  # carrier-grade NAT
        ("0.0.0.0", "https://0.0.0.0/a.png"),
        ("::1", "https://[::1]/a.png"),
        ("::ffff:127.0.0.1", "https://[::ffff:127.0.0.1]/a.png"),  # v4-mapped loopback
        ("fd00::1", "https://[fd00::1]/a.png"),  # unique local
    ],
)
def test_allowed_hosts_resolving_to_non_public_addresses_are_refused(production_fence, host, url):
    production_fence.FACEBOOK_AVATAR_ALLOWED_HOSTS = [host]

    with pytest.raises(AvatarRefused, match="non-public"):
        check_url(url)


@pytest.mark.parametrize("address", ["157.240.1.35", "2a03:2880:f10c:83:face:b00c:0:25de"])
def test_public_addresses_pass(address):
    assert public_address(address)


def test_the_fake_server_itself_is_refused_without_the_exemption(production_fence, fake_graph):
    production_fence.FACEBOOK_AVATAR_ALLOW_INSECURE_HOSTS = []

    with pytest.raises(AvatarRefused):
        fetch_avatar(f"{fake_graph.url}/pictures/avatar.png")
    assert fake_graph.requests == []  # refused before any connection


@pytest.mark.parametrize("name", ["huge.png", "huge-unannounced.png"])
def test_bodies_over_the_cap_are_refused(production_fence, fake_graph, name):
    # Only the fake server's loopback http is exempted; the cap is production's 2 MB.
    production_fence.FACEBOOK_AVATAR_ALLOW_INSECURE_HOSTS = ["127.0.0.1"]

    with pytest.raises(AvatarRefused, match="too large"):
        fetch_avatar(f"{fake_graph.url}/pictures/{name}")


def test_redirects_are_not_followed(production_fence, fake_graph):
    production_fence.FACEBOOK_AVATAR_ALLOW_INSECURE_HOSTS = ["127.0.0.1"]

    with pytest.raises(AvatarRefused, match="redirect"):
        fetch_avatar(f"{fake_graph.url}/pictures/redirect.png")
    assert [r.path for r in fake_graph.requests] == ["/pictures/redirect.png"]


def test_a_small_image_is_fetched(fake_graph):
    assert fetch_avatar(f"{fake_graph.url}/pictures/avatar.png").startswith(b"\x89PNG")


@pytest.mark.parametrize("picture", ["huge.png", "redirect.png", "notimage.png"])
def test_login_survives_a_refused_avatar(
    api_client, fake_graph, django_capture_on_commit_callbacks, picture
):
    fake_graph.users["alice"].picture = picture

    with django_capture_on_commit_callbacks(execute=True):
        response = fb_login(api_client, "alice")

    assert response.status_code == 201
    user = User.objects.get()
    assert not user.avatar
    assert user.facebook_account.last_synced_at is not None  # the rest of the sync ran


def test_an_avatar_the_user_uploaded_is_never_replaced(
    api_client, fake_graph, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        body = fb_login(api_client, "alice").json()
    user = User.objects.get(pk=body["user"]["id"])
    User.objects.filter(pk=user.pk).update(avatar="avatars/uploaded.png")

    with django_capture_on_commit_callbacks(execute=True):
        fb_login(api_client, "alice")

    user.refresh_from_db()
    assert user.avatar.name == "avatars/uploaded.png"
    assert len(fake_graph.calls("/pictures/avatar.png")) == 1
