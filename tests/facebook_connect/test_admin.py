"""The admin shows Facebook data but never the token."""

import pytest

from facebook_connect.models import FacebookAccount
from tests.facebook_connect.helpers import fb_login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_never_shows_the_token(api_client, admin_client, fake_graph):
    fb_login(api_client, "alice")
    account = FacebookAccount.objects.get()
    with __import__("django").db.connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM facebook_connect_facebookaccount")
        (ciphertext,) = cursor.fetchone()

    pages = [
        "/admin/facebook_connect/facebookaccount/",
        f"/admin/facebook_connect/facebookaccount/{account.pk}/change/",
    ]
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
        content = response.content.decode()
        assert "alice.long" not in content and ciphertext not in content
        assert "access_token" not in content


@pytest.mark.parametrize(
    "model", ["facebookfriend", "facebooklike", "facebookshare", "facebookdatadeletion"]
)
def test_admin_lists_the_other_models(admin_client, model):
    assert admin_client.get(f"/admin/facebook_connect/{model}/").status_code == 200


def test_admin_delete_purges_the_link(
    api_client, admin_client, fake_graph, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        fb_login(api_client, "alice")
    account = FacebookAccount.objects.get()

    response = admin_client.post(
        f"/admin/facebook_connect/facebookaccount/{account.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not FacebookAccount.objects.exists()
    assert not account.friends.exists()
