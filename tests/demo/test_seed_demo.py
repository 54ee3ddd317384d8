"""`manage.py seed_demo`: demo accounts once, then nothing."""

import io

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.core.management import CommandError, call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _development(settings):
    settings.DEBUG = True  # pytest-django runs tests with DEBUG off; seed_demo is for dev


def test_seed_demo_creates_verified_users_and_an_admin(django_capture_on_commit_callbacks):
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=out)

    users = {user.username: user for user in User.objects.all()}
    assert set(users) == {"alice", "bob", "carol", "admin"}
    for name in ("alice", "bob", "carol"):
        user = users[name]
        assert user.email == f"{name}@example.com"
        assert user.email_verified
        assert user.display_name == name.title()
        assert user.bio
        assert not user.is_staff
        assert authenticate(username=name, password="chirp-demo-pass") == user
    admin = users["admin"]
    assert admin.is_superuser and admin.is_staff
    assert authenticate(username="admin", password="chirp-admin-pass") == admin
    assert "chirp-admin-pass" in out.getvalue()
    # Signup queued verification emails; the users were verified first, so none went out.
    assert mail.outbox == []


def test_seed_demo_is_a_no_op_when_demo_data_exists(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    before = list(User.objects.order_by("pk").values_list("pk", "username", "password"))

    out = io.StringIO()
    call_command("seed_demo", stdout=out)

    assert list(User.objects.order_by("pk").values_list("pk", "username", "password")) == before
    assert "nothing to do" in out.getvalue()


def test_seed_demo_prints_the_demo_accounts_on_every_start_with_debug_on(
    settings, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())

    out = io.StringIO()
    call_command("seed_demo", stdout=out)

    printed = out.getvalue()
    for name in ("alice", "bob", "carol"):
        assert f"{name} / chirp-demo-pass" in printed
    assert "admin / chirp-admin-pass" in printed


def test_seed_demo_keeps_passwords_off_the_screen_once_created_with_debug_off(
    settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False

    out = io.StringIO()
    call_command("seed_demo", stdout=out)

    assert "chirp-demo-pass" not in out.getvalue()
    assert "chirp-admin-pass" not in out.getvalue()


def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--allow-production"):
        call_command("seed_demo", stdout=io.StringIO())

    assert not User.objects.exists()


def test_seed_demo_with_debug_off_and_the_flag_seeds_and_warns(
    settings, django_capture_on_commit_callbacks
):
    settings.DEBUG = False
    out, err = io.StringIO(), io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--allow-production", stdout=out, stderr=err)

    assert User.objects.filter(username="admin", is_superuser=True).exists()
    assert "WARNING: seeding with DEBUG off" in err.getvalue()
    assert "chirp-admin-pass" in err.getvalue()


def test_seed_demo_with_debug_on_says_no_warning(django_capture_on_commit_callbacks):
    err = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO(), stderr=err)

    assert err.getvalue() == ""
