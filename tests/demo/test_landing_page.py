"""`/`: what this server is and where to go; the demo accounts with DEBUG on only."""

import io
import re

import pytest
from django.core.management import call_command

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LINKS = {
    "/api/docs/",
    "/api/schema/",
    "/api-auth/login/",
    "/api/v1/newsfeed/",
    "/api/v1/tweets/",
    "/admin/",
    "/healthz",
    "/readyz",
}


@pytest.fixture
def seeded(django_capture_on_commit_callbacks):
    # pytest-django runs with DEBUG off, where seed_demo seeds only when told to.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--allow-production", stdout=io.StringIO(), stderr=io.StringIO())


def links_of(response) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', response.content.decode()))


@pytest.mark.parametrize("accept", ["text/html", "application/json", "*/*"])
def test_the_landing_page_links_the_api_docs_browsable_api_admin_and_health(client, accept):
    response = client.get("/", HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"Chirp" in response.content
    assert links_of(response) >= LINKS
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for link in LINKS - {"/readyz"}:  # readyz answers 503 when a service is down
        assert client.get(link).status_code == 200, link


def test_the_landing_page_lists_the_demo_accounts_with_debug_on(client, settings, seeded):
    settings.DEBUG = True

    page = client.get("/").content.decode()

    rows = re.findall(r"<tr><td>(\w+)</td><td><code>([\w-]+)</code></td></tr>", page)
    assert rows == [
        ("alice", "chirp-demo-pass"),
        ("bob", "chirp-demo-pass"),
        ("carol", "chirp-demo-pass"),
        ("admin", "chirp-admin-pass"),
    ]


def test_the_landing_page_never_shows_passwords_with_debug_off(client, settings, seeded):
    settings.DEBUG = False

    page = client.get("/").content.decode()

    assert "chirp-demo-pass" not in page and "chirp-admin-pass" not in page
    assert 'id="demo-accounts"' not in page


def test_no_demo_accounts_no_table(client, settings):
    settings.DEBUG = True

    assert 'id="demo-accounts"' not in client.get("/").content.decode()


def test_the_admins_view_site_link_opens_the_landing_page(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    admin_page = client.get("/admin/").content.decode()

    assert re.search(r'<a href="/">View site</a>', admin_page)
    assert client.get("/").status_code == 200


def test_the_browsable_api_brand_links_home(client):
    page = client.get("/api/v1/tweets/", HTTP_ACCEPT="text/html").content.decode()

    assert '<a class="navbar-brand" href="/">Chirp API</a>' in page
