"""What a person does in a browser, in a real browser against a real server: the browsable
API, Swagger UI, the admin, and the pages email links open."""

import re

import pytest

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, FriendshipFactory, TweetFactory, UserFactory
from tests.tweets.helpers import image_bytes

# The server checks passwords with the production hasher, so the factories must use it too.
pytestmark = [pytest.mark.browser, pytest.mark.real_password_hasher]


def api_login(page, username: str, password: str = DEFAULT_PASSWORD) -> dict:
    response = page.request.post(
        "/api/v1/auth/login/", data={"username": username, "password": password}
    )
    assert response.status == 200, response.text()
    return response.json()


def fragment_link(message, page_path: str, server) -> str:
    body = message.get_payload(decode=True).decode()
    link = re.search(rf"\S+{page_path}#\S+", body).group(0)
    assert link.startswith(f"{server.url}{page_path}#"), link  # this server, its port
    return link


def test_browsable_api_login_newsfeed_and_a_tweet_with_a_photo(page, expect, tmp_path):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    FriendshipFactory(follower=alice, followee=bob)
    TweetFactory(user=bob, text="bob was here #browser")

    page.goto("/api-auth/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("[type=submit]")

    expect(page).to_have_url(re.compile(r"/api/v1/newsfeed/$"))
    expect(page.locator(".response-info")).to_contain_text("HTTP 200 OK")
    expect(page.locator(".response-info")).to_contain_text("bob was here #browser")

    photo = tmp_path / "sunset.png"
    photo.write_bytes(image_bytes("PNG", size=(120, 80)))
    page.goto("/api/v1/tweets/")
    form = page.locator("#post-object-form form")
    form.locator("textarea[name=text]").fill("posted from a browser #forms")
    form.locator("input[name=photos]").set_input_files(str(photo))
    form.locator("button", has_text="POST").click()

    response = page.locator(".response-info")
    expect(response).to_contain_text("HTTP 201 Created")
    expect(response).to_contain_text("posted from a browser #forms")
    photo_url = re.search(r'"url": "([^"]+)"', response.inner_text()).group(1)
    served = page.request.get(photo_url)
    assert served.status == 200 and served.headers["content-type"].startswith("image/")

    page.goto("/api/v1/newsfeed/")
    expect(page.locator(".response-info")).to_contain_text("posted from a browser #forms")
    expect(page.locator(".response-info")).to_contain_text(photo_url)


def test_swagger_authorize_with_a_jwt_and_execute_get_me(page, expect):
    UserFactory(username="swagger_user")
    token = api_login(page, "swagger_user")["access"]

    page.goto("/api/docs/")
    page.locator(".swagger-ui button.authorize").first.click()
    dialog = page.locator(".modal-ux")
    expect(dialog).to_contain_text("jwtAuth")
    dialog.locator("input").first.fill(token)
    dialog.locator("button.authorize").click()
    dialog.locator("button.btn-done").click()

    operation = page.locator("#operations-me-me_retrieve")
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()

    live = operation.locator(".live-responses-table")
    expect(live.locator("tbody .response-col_status")).to_have_text("200")
    expect(live).to_contain_text('"username": "swagger_user"')


def test_admin_login_and_the_users_and_tweets_changelists(page, expect):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    TweetFactory(user=UserFactory(username="tweeter"), text="seen from the admin")

    page.goto("/admin/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()

    page.goto("/admin/accounts/user/")
    expect(page.locator("#result_list")).to_contain_text("tweeter")
    page.goto("/admin/tweets/tweet/")
    expect(page.locator("#result_list")).to_contain_text("seen from the admin")

    page.get_by_role("link", name="View site").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("h1")).to_have_text("Chirp")


def test_the_verification_link_of_a_sent_email_verifies_the_account(page, expect, chirp_server):
    page.goto("/api/v1/auth/signup/")
    form = page.locator("#post-object-form form")
    form.locator("[name=username]").fill("newcomer")
    form.locator("[name=email]").fill("newcomer@example.com")
    form.locator("[name=password]").fill("a-long-browser-passphrase-7")
    form.locator("button", has_text="POST").click()
    expect(page.locator(".response-info")).to_contain_text("HTTP 201 Created")
    assert User.objects.get(username="newcomer").email_verified is False

    email = chirp_server.email_to("newcomer@example.com")
    link = fragment_link(email, "/verify-email/", chirp_server)
    page.goto(link)

    status = page.locator("#status[data-result]")
    expect(status).to_have_attribute("data-result", "verified")
    expect(status).to_contain_text("newcomer@example.com is verified")
    assert User.objects.get(username="newcomer").email_verified is True
    token = link.split("#token=", 1)[1]
    assert "GET /verify-email/" in chirp_server.log()  # the access log saw the page...
    assert token not in chirp_server.log()  # ...but never the token
    assert "token=" not in page.url  # nor does the address bar keep it


def test_the_reset_link_of_a_sent_email_sets_a_new_password(page, expect, chirp_server):
    UserFactory(username="forgetful", email="forgetful@example.com")
    response = page.request.post(
        "/api/v1/auth/password/reset/", data={"email": "forgetful@example.com"}
    )
    assert response.status == 202

    link = fragment_link(
        chirp_server.email_to("forgetful@example.com"), "/reset-password/", chirp_server
    )
    page.goto(link)
    page.fill("#new_password", "a-fresh-browser-passphrase-8")
    page.fill("#confirm_password", "a-fresh-browser-passphrase-8")
    page.click("#reset button[type=submit]")

    expect(page.locator("#status")).to_have_attribute("data-result", "changed")
    api_login(page, "forgetful", "a-fresh-browser-passphrase-8")
    assert link.split("#", 1)[1] not in chirp_server.log()
