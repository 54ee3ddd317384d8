"""Each entity the layer answers validates against a JSON schema written from Mastodon's
documentation (tests/mastodon_api/schemas.py)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from tests.factories import TweetFactory, UserFactory
from tests.mastodon_api import schemas
from tests.mastodon_api.helpers import REDIRECT, ROOT, client_credentials, make_token
from tests.tweets.helpers import image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def app():
    response = Client().post(
        f"{ROOT}/api/v1/apps",
        {"client_name": "Schemas", "redirect_uris": REDIRECT, "scopes": "read write follow"},
    )
    return response.json()


@pytest.fixture
def client(app):
    user = UserFactory(username="dana", bio="Reading #books with @erin")
    make_token(user, app, "schema-token")
    return Client(HTTP_AUTHORIZATION="Bearer schema-token")


def test_application_and_token(app):
    schemas.check(app, schemas.CREDENTIAL_APPLICATION)
    response = Client().post(f"{ROOT}/oauth/token", client_credentials(app))
    schemas.check(response.json(), schemas.TOKEN)
    bearer = f"Bearer {response.json()['access_token']}"
    verified = Client().get(f"{ROOT}/api/v1/apps/verify_credentials", HTTP_AUTHORIZATION=bearer)
    schemas.check(verified.json(), schemas.APPLICATION)
    assert "client_secret" not in verified.json()


def test_account_and_credential_account(client):
    me = client.get(f"{ROOT}/api/v1/accounts/verify_credentials").json()
    schemas.check(me, schemas.CREDENTIAL_ACCOUNT)
    assert me["last_status_at"] is None
    TweetFactory(user=User.objects.get(pk=me["id"]))
    other = client.get(f"{ROOT}/api/v1/accounts/{me['id']}").json()
    schemas.check(other, schemas.ACCOUNT)
    assert other["last_status_at"] is not None
    assert "source" not in other


def test_relationship(client):
    erin = UserFactory(username="erin")
    relationship = client.post(f"{ROOT}/api/v1/accounts/{erin.pk}/follow").json()
    schemas.check(relationship, schemas.RELATIONSHIP)
    assert relationship["following"] is True


def test_instances():
    schemas.check(Client().get(f"{ROOT}/api/v1/instance").json(), schemas.INSTANCE_V1)
    schemas.check(Client().get(f"{ROOT}/api/v2/instance").json(), schemas.INSTANCE_V2)


def test_status_edit(client):
    dana = User.objects.get(username="dana")
    photo = SimpleUploadedFile("photo.jpg", image_bytes(), content_type="image/jpeg")
    tweet = TweetFactory(user=dana, text="before #edit", photos=[photo])
    edited = client.put(
        f"{ROOT}/api/v1/statuses/{tweet.pk}", {"status": "after"}, content_type="application/json"
    )
    assert edited.status_code == 200, edited.content
    schemas.check(edited.json(), schemas.STATUS)
    history = client.get(f"{ROOT}/api/v1/statuses/{tweet.pk}/history").json()
    assert len(history) == 2
    for edit in history:
        schemas.check(edit, schemas.STATUS_EDIT)
        assert len(edit["media_attachments"]) == 1


def test_accounts_render_where_static_files_were_not_collected(client, settings, tmp_path):
    """DEBUG off serves static files from the manifest collectstatic writes: a server
    started without it still answers accounts, with the placeholder's plain URL."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

    response = client.get(f"{ROOT}/api/v1/accounts/verify_credentials")

    assert response.status_code == 200
    assert response.json()["avatar"].endswith("/static/mastodon_api/missing.png")
