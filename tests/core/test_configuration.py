"""One set of configuration variables, the same wherever a person or a container meets it.

Sources, each read as text:
- the code: what config/settings.py reads (`env.str("NAME", ...)` and friends) and what
  config/gunicorn.py, the HTTP server's configuration, reads (`os.environ.get("NAME")`);
- `.env.example`, the file people copy to `.env` (`NAME=value` or `# NAME=value` lines);
- README's configuration table (the names in backticks of its first column);
- docker-compose.yml: what the app services set or interpolate (`${NAME...}`), and their
  `env_file`, through which every other variable of `.env` reaches them.

Besides the code's variables, `.env.example` and the README list the few read by `make`
and the test suite, and the ones compose interpolates for its PostgreSQL image.
"""

import re
from pathlib import Path

import pytest

from tests.core import test_compose
from tests.core.test_compose import APP_SERVICES, service_env

compose = test_compose.compose

ROOT = Path(__file__).resolve().parents[2]
# env.str("NAME", ...), also when the call spans lines.
SETTINGS_VAR_RE = re.compile(
    r"\benv\.(?:str|bool|int|float|list|tuple|dict|json|url|path|db_url|cache_url|email_url)"
    r"\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']"
)
# os.environ.get("NAME") in config/gunicorn.py: the HTTP server's own settings.
GUNICORN_VAR_RE = re.compile(r"os\.environ\.get\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']")
ENV_EXAMPLE_RE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)
INTERPOLATION_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")
README_NAME_RE = re.compile(r"`([A-Z][A-Z0-9_]*)`")
# Read by the Makefile (`make run PORT=8811`) and by the test suite, not by the code.
MAKE_AND_TEST_VARIABLES = {"HOST", "PORT", "CHIRP_REQUIRE_SERVICES"}


def settings_variables() -> set[str]:
    return set(SETTINGS_VAR_RE.findall((ROOT / "config" / "settings.py").read_text()))


def server_variables() -> set[str]:
    """What the app containers may be given: settings' variables and gunicorn's."""
    gunicorn = set(GUNICORN_VAR_RE.findall((ROOT / "config" / "gunicorn.py").read_text()))
    return settings_variables() | gunicorn


def env_example_variables() -> set[str]:
    return set(ENV_EXAMPLE_RE.findall((ROOT / ".env.example").read_text()))


def compose_interpolated_variables() -> set[str]:
    return set(INTERPOLATION_RE.findall((ROOT / "docker-compose.yml").read_text()))


def readme_table_variables() -> set[str]:
    """The names in the first column of the table under README's `## Configuration`."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names |= set(README_NAME_RE.findall(line.split("|")[1]))
    return names


def every_variable() -> set[str]:
    """Everything a deployment or a developer may set: the one list each source must give."""
    return server_variables() | MAKE_AND_TEST_VARIABLES | compose_interpolated_variables()


def test_each_source_is_read():
    # Calls on one line and calls split over lines are both seen.
    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "CELERY_BROKER_URL"} <= (
        settings_variables()
    )
    assert {"DJANGO_ALLOWED_HOSTS", "DJANGO_SECURE_HSTS_SECONDS"} <= settings_variables()
    assert {"WEB_CONCURRENCY", "WEB_THREADS"} <= server_variables()
    assert {"DJANGO_DEBUG", "AVATAR_SIZE", "HOST"} <= readme_table_variables()
    assert {"POSTGRES_PASSWORD", "DJANGO_SECRET_KEY"} <= compose_interpolated_variables()


@pytest.mark.parametrize(
    ("source", "read"),
    [(".env.example", env_example_variables), ("README's table", readme_table_variables)],
)
def test_every_variable_is_listed(source, read):
    missing = every_variable() - read()
    assert not missing, f"{source} lacks {sorted(missing)}"


@pytest.mark.parametrize(
    ("source", "read"),
    [(".env.example", env_example_variables), ("README's table", readme_table_variables)],
)
def test_nothing_is_listed_that_nothing_reads(source, read):
    unknown = read() - every_variable()
    assert not unknown, f"{source} lists variables nothing reads: {sorted(unknown)}"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_only_set_variables_the_code_reads(compose, service):
    unknown = set(service_env(compose, service)) - server_variables()
    assert not unknown, f"{service} sets variables the code never reads: {sorted(unknown)}"


def test_compose_interpolates_the_code_variables_and_the_postgres_image_ones(compose):
    unknown = {
        name
        for name in compose_interpolated_variables() - server_variables()
        if not name.startswith("POSTGRES_")
    }
    assert not unknown, f"compose interpolates unknown variables: {sorted(unknown)}"
    assert all(name.startswith("POSTGRES_") for name in service_env(compose, "postgres"))


@pytest.mark.parametrize("service", APP_SERVICES)
def test_every_env_file_variable_reaches_the_app_services(compose, service):
    # `.env` (a copy of .env.example) as the services' env_file: each of its variables
    # reaches the container; `environment` only adds to it or overrides it.
    env_file = compose["services"][service]["env_file"]
    assert {"path": ".env", "required": False} in env_file
