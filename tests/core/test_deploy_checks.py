"""Chirp's `check --deploy` checks (core/checks.py), run through Django's check framework.
tests/core/test_settings.py runs `manage.py check --deploy` on production settings too."""

import pytest
from django.core import checks


def chirp_deploy_warnings() -> set[str]:
    return {
        message.id
        for message in checks.run_checks(include_deployment_checks=True)
        if message.id.startswith("chirp.")
    }


@pytest.fixture
def production_like(settings):
    settings.ALLOWED_HOSTS = ["chirp.example.com"]
    settings.THROTTLE_ENABLED = True
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": "j" * 64}
    settings.SECRET_KEY = "s" * 64
    return settings


def test_production_like_settings_raise_none(production_like):
    assert chirp_deploy_warnings() == set()


@pytest.mark.parametrize("hosts", [["*"], ["chirp.example.com", "*"]])
def test_a_wildcard_allowed_host_is_reported(production_like, hosts):
    production_like.ALLOWED_HOSTS = hosts

    assert chirp_deploy_warnings() == {"chirp.W001"}


def test_throttles_off_are_reported(production_like):
    production_like.THROTTLE_ENABLED = False

    assert chirp_deploy_warnings() == {"chirp.W002"}


def test_a_jwt_key_equal_to_the_secret_key_is_reported(production_like):
    production_like.SIMPLE_JWT = {**production_like.SIMPLE_JWT, "SIGNING_KEY": "s" * 64}

    assert chirp_deploy_warnings() == {"chirp.W003"}


def test_the_checks_run_only_for_deploy(production_like):
    production_like.ALLOWED_HOSTS = ["*"]
    production_like.THROTTLE_ENABLED = False

    ids = {message.id for message in checks.run_checks()}

    assert not {"chirp.W001", "chirp.W002"} & ids
