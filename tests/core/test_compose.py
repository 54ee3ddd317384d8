"""docker-compose.yml and .env.example agree with what config/settings.py reads."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "beat")
# env.str("NAME", ...), also when the call spans lines.
SETTINGS_VAR_RE = re.compile(
    r"\benv\.(?:str|bool|int|float|list|tuple|dict|json|url|path|db_url|cache_url|email_url)"
    r"\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']"
)
INTERPOLATION_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")
ENV_EXAMPLE_RE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def settings_variables() -> set[str]:
    return set(SETTINGS_VAR_RE.findall((ROOT / "config" / "settings.py").read_text()))


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def service_env(compose: dict, name: str) -> dict[str, str]:
    environment = compose["services"][name].get("environment") or {}
    if isinstance(environment, list):  # the `- NAME=value` form
        environment = dict(item.split("=", 1) for item in environment)
    return {key: str(value) for key, value in environment.items()}


def test_settings_variables_are_found():
    found = settings_variables()
    # Calls on one line and calls split over lines are both seen.
    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "CELERY_BROKER_URL"} <= found
    assert {"DJANGO_ALLOWED_HOSTS", "DJANGO_SECURE_HSTS_SECONDS"} <= found


def test_compose_has_the_five_services(compose):
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(compose["services"])


@pytest.mark.parametrize(
    ("service", "probe"),
    [("postgres", "pg_isready"), ("redis", "redis-cli"), ("web", "/healthz")],
)
def test_compose_healthchecks(compose, service, probe):
    healthcheck = compose["services"][service]["healthcheck"]
    test = healthcheck["test"]
    assert probe in (test if isinstance(test, str) else " ".join(test))


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_wait_for_healthy_postgres_and_redis(compose, service):
    depends_on = compose["services"][service]["depends_on"]
    for dependency in ("postgres", "redis"):
        assert depends_on[dependency] == {"condition": "service_healthy"}


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_only_set_variables_settings_read(compose, service):
    unknown = set(service_env(compose, service)) - settings_variables()
    assert not unknown, f"{service} sets variables settings.py never reads: {sorted(unknown)}"


def test_interpolated_variables_are_settings_or_postgres_image_ones(compose):
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(INTERPOLATION_RE.findall(text))
    unknown = {name for name in used - settings_variables() if not name.startswith("POSTGRES_")}
    assert not unknown, f"compose interpolates unknown variables: {sorted(unknown)}"
    postgres_env = service_env(compose, "postgres")
    assert all(name.startswith("POSTGRES_") for name in postgres_env)


def test_app_services_share_database_and_redis(compose):
    for variable in ("DATABASE_URL", "REDIS_URL"):
        values = {service_env(compose, service).get(variable) for service in APP_SERVICES}
        assert len(values) == 1, f"{variable} differs between {APP_SERVICES}: {values}"
        assert values.pop(), f"{variable} is not set"
    for service in APP_SERVICES:
        env = service_env(compose, service)
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://")
        assert env["DJANGO_DEBUG"] == "false"


@pytest.mark.parametrize("variable", ["DJANGO_SECRET_KEY", "JWT_SIGNING_KEY"])
def test_compose_secrets_come_from_the_environment(compose, variable):
    for service in APP_SERVICES:
        value = service_env(compose, service)[variable]
        # Required interpolation: `docker compose up` fails without it; no literal secret.
        assert re.fullmatch(rf"\$\{{{variable}:\?[^}}]*\}}", value), value


def test_dockerignore_keeps_secrets_out_of_the_image():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored
    assert ".git" in ignored


def test_env_example_lists_every_settings_variable():
    listed = set(ENV_EXAMPLE_RE.findall((ROOT / ".env.example").read_text()))
    missing = settings_variables() - listed
    assert not missing, f".env.example lacks {sorted(missing)}"
    assert {"HOST", "PORT", "CHIRP_REQUIRE_SERVICES"} <= listed
