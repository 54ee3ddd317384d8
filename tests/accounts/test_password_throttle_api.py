"""One password throttle on every door that checks a password (docs/reliability.md trap 16):
counted per client IP and per account, shared by the API login, the browsable API's and the
admin's login forms and password change. Reset request and reset confirm count apart."""

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import set_throttle_rates
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.shapes import error

LOGIN = "/api/v1/auth/login/"
BROWSABLE_LOGIN = "/api-auth/login/"
ADMIN_LOGIN = "/admin/login/"
PASSWORD_CHANGE = "/api/v1/auth/password/change/"
RESET = "/api/v1/auth/password/reset/"
RESET_CONFIRM = "/api/v1/auth/password/reset/confirm/"
ME = "/api/v1/me/"
IP = "198.51.100.7"

THROTTLED = error("throttled", "Request was throttled. Expected available in 60 seconds.")

pytestmark = pytest.mark.django_db


@pytest.fixture
def throttles_on(settings):
    settings.THROTTLE_ENABLED = True
    with time_machine.travel("2026-11-24 13:37:00+00:00", tick=False):
        yield settings


def api_login(login: str, password: str, *, ip: str = IP):
    return APIClient().post(
        LOGIN, {"username": login, "password": password}, format="json", REMOTE_ADDR=ip
    )


def form_login(client: Client, path: str, login: str, password: str, *, ip: str = IP):
    return client.post(path, {"username": login, "password": password}, REMOTE_ADDR=ip)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.mark.parametrize("door", [BROWSABLE_LOGIN, ADMIN_LOGIN])
def test_the_login_forms_log_in_under_the_rate(throttles_on, admin_user, door):
    browser = Client()

    response = form_login(browser, door, "root", DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert browser.session["_auth_user_id"] == str(admin_user.pk)


@pytest.mark.parametrize("door", [BROWSABLE_LOGIN, ADMIN_LOGIN])
def test_a_guesser_throttled_at_the_api_login_gets_no_session_at_a_login_form(
    throttles_on, admin_user, door
):
    statuses = [api_login("root", f"wrong-password-{n}").status_code for n in range(21)]
    assert statuses == [401] * 20 + [429]  # the built-in rate: 20 a minute per IP

    browser = Client()
    guesses = [form_login(browser, door, "root", f"guess-{n}") for n in range(39)]
    right = form_login(browser, door, "root", DEFAULT_PASSWORD)

    assert {response.status_code for response in [*guesses, right]} == {429}
    assert "_auth_user_id" not in browser.session
    assert browser.get(ME).status_code == 401


@pytest.mark.parametrize("door", [BROWSABLE_LOGIN, ADMIN_LOGIN])
def test_a_throttled_login_form_is_shown_again_with_the_error_and_429(
    throttles_on, admin_user, door
):
    set_throttle_rates(throttles_on, login="1/min")
    browser = Client()
    form_login(browser, door, "root", "wrong-password-1")

    response = form_login(browser, door, "root", DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Too many login attempts. Try again in 60 seconds." in page
    assert 'name="password"' in page
    assert "_auth_user_id" not in browser.session


def test_a_login_form_counts_towards_the_api_login(throttles_on, admin_user):
    set_throttle_rates(throttles_on, login="2/min")
    form_login(Client(), BROWSABLE_LOGIN, "root", "wrong-password-1")
    form_login(Client(), ADMIN_LOGIN, "root", "wrong-password-2")

    response = api_login("root", DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert response.json() == THROTTLED
    assert response["Retry-After"] == "60"


def test_many_addresses_guessing_one_account_are_stopped(throttles_on):
    set_throttle_rates(throttles_on, login="100/min", login_account="3/min")
    UserFactory(username="alice", email="alice@example.com")

    guesses = [api_login("alice", "wrong-password", ip=f"203.0.113.{n}") for n in range(3)]
    blocked = api_login("alice", DEFAULT_PASSWORD, ip="203.0.113.200")
    other_account = api_login("bob", "wrong-password", ip="203.0.113.200")

    assert [response.status_code for response in guesses] == [401, 401, 401]
    assert blocked.status_code == 429
    assert blocked.json() == THROTTLED
    assert other_account.status_code == 401  # that address is not over its own rate


def test_the_username_and_the_email_of_an_account_share_its_bucket(throttles_on):
    set_throttle_rates(throttles_on, login="100/min", login_account="3/min")
    UserFactory(username="alice", email="alice@example.com")

    statuses = [
        api_login(login, "wrong-password", ip=f"203.0.113.{n}").status_code
        for n, login in enumerate(["alice", "ALICE@example.com", " Alice ", "alice@EXAMPLE.com"])
    ]

    assert statuses == [401, 401, 401, 429]


def test_guesses_at_an_unknown_login_are_counted_by_its_normalised_text(throttles_on):
    set_throttle_rates(throttles_on, login="100/min", login_account="2/min")

    statuses = [
        api_login(login, "wrong-password", ip=f"203.0.113.{n}").status_code
        for n, login in enumerate(["nobody", " NoBody ", "nobody"])
    ]

    assert statuses == [401, 401, 429]


def test_one_address_guessing_many_accounts_is_stopped(throttles_on):
    set_throttle_rates(throttles_on, login="3/min", login_account="100/min")
    for name in ("alice", "bob", "carol"):
        UserFactory(username=name)

    statuses = [api_login(name, "wrong-password").status_code for name in ("alice", "bob", "carol")]
    blocked = api_login("dave", "wrong-password")
    elsewhere = api_login("dave", "wrong-password", ip="192.0.2.55")

    assert statuses == [401, 401, 401]
    assert blocked.status_code == 429
    assert elsewhere.status_code == 401


def change_password(user, old_password: str, *, ip: str = IP):
    client = APIClient()
    client.force_authenticate(user)
    return client.post(
        PASSWORD_CHANGE,
        {"old_password": old_password, "new_password": "another-long-passphrase-77"},
        format="json",
        REMOTE_ADDR=ip,
    )


def test_password_change_is_throttled_per_account(throttles_on):
    set_throttle_rates(throttles_on, login="100/min", login_account="2/min")
    user = UserFactory()

    statuses = [
        change_password(user, "not-my-password", ip=f"203.0.113.{n}").status_code for n in range(2)
    ]
    blocked = change_password(user, DEFAULT_PASSWORD, ip="203.0.113.99")

    assert statuses == [400, 400]
    assert blocked.status_code == 429
    assert blocked.json() == THROTTLED
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_change_shares_the_account_bucket_with_the_login(throttles_on):
    set_throttle_rates(throttles_on, login="100/min", login_account="2/min")
    user = UserFactory(username="alice")
    api_login("alice", "wrong-password-1", ip="203.0.113.1")
    api_login("alice", "wrong-password-2", ip="203.0.113.2")

    response = change_password(user, DEFAULT_PASSWORD)

    assert response.status_code == 429


def test_reset_requests_do_not_use_up_reset_confirmations(throttles_on):
    set_throttle_rates(throttles_on, password_reset="1/min", password_reset_confirm="1/min")
    client = APIClient()
    confirm = {"uid": "MQ", "token": "bad-token", "new_password": "another-long-passphrase-77"}

    requests = [client.post(RESET, {"email": "x@example.com"}).status_code for _ in range(2)]
    confirms = [client.post(RESET_CONFIRM, confirm).status_code for _ in range(2)]

    assert requests == [202, 429]
    assert confirms == [400, 429]
