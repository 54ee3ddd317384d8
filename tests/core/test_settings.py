"""Settings: per-checkout development secrets; production refuses to start on dev defaults,
and `check --deploy` is clean.

Each test starts `manage.py` in a subprocess with a minimal environment (PATH, HOME and
what the test sets), so the caller's DATABASE_URL, REDIS_URL or DJANGO_DEBUG never leak in.
"""

import os
import re
import secrets
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOST = "chirp.example.com"

pytestmark = pytest.mark.slow  # each test starts a Python process with Django


def manage(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(Path.home())}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),  # 64 characters
        "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": HOST,
    }
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def dotenv_sets(variable: str) -> bool:
    """Settings also read a developer's `.env`; a variable set there cannot be "missing"."""
    dotenv = ROOT / ".env"
    if not dotenv.exists():
        return False
    return any(line.strip().startswith(f"{variable}=") for line in dotenv.read_text().splitlines())


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DJANGO_SECRET_KEY", None),
        ("DJANGO_SECRET_KEY", ""),
        ("DJANGO_SECRET_KEY", "too-short-0123456789"),
        ("JWT_SIGNING_KEY", None),
        ("JWT_SIGNING_KEY", ""),
        ("DJANGO_ALLOWED_HOSTS", None),
        ("DJANGO_ALLOWED_HOSTS", ""),
    ],
    ids=lambda value: "unset" if value is None else (value[:9] or "empty"),
)
def test_debug_off_without_a_required_value_refuses_to_start(variable, value):
    if value is None and dotenv_sets(variable):
        pytest.skip(f"the project's .env sets {variable}")
    result = manage("check", **production_env(**{variable: value}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{variable} must be set" in result.stderr


def test_debug_off_with_the_jwt_key_equal_to_the_secret_refuses_to_start():
    secret = secrets.token_urlsafe(48)
    result = manage("check", **production_env(DJANGO_SECRET_KEY=secret, JWT_SIGNING_KEY=secret))
    assert result.returncode != 0
    assert "JWT_SIGNING_KEY must differ from DJANGO_SECRET_KEY" in result.stderr


# --- development secrets (docs/reliability.md trap 15) -------------------------------------------

PUBLISHED = "dev-insecure-secret-key-change-me-0123456789abcdef"
PRINT_KEYS = "from django.conf import settings as s; print(s.SECRET_KEY); print(s.JWT_SIGNING_KEY)"


def development_env(secrets_file: Path, **overrides: str) -> dict[str, str]:
    return {"DJANGO_DEBUG": "true", "DEV_SECRETS_FILE": str(secrets_file), **overrides}


def keys_seen(**env: str) -> tuple[str, str]:
    result = manage("shell", "--no-imports", "-c", PRINT_KEYS, **env)
    assert result.returncode == 0, result.stderr
    secret_key, jwt_key = result.stdout.split()
    return secret_key, jwt_key


@pytest.fixture
def no_dotenv_secrets():
    if dotenv_sets("DJANGO_SECRET_KEY") or dotenv_sets("JWT_SIGNING_KEY"):
        pytest.skip("the project's .env sets the keys, so no secrets file is used")


def test_a_development_start_writes_random_keys_of_its_own(tmp_path, no_dotenv_secrets):
    secrets_file = tmp_path / "dev-secrets.env"

    secret_key, jwt_key = keys_seen(**development_env(secrets_file))

    assert secret_key != PUBLISHED
    assert len(secret_key) >= 50
    assert len(jwt_key.encode()) >= 32
    assert jwt_key != secret_key
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    text = secrets_file.read_text()
    assert f"DJANGO_SECRET_KEY={secret_key}\n" in text
    assert f"JWT_SIGNING_KEY={jwt_key}\n" in text
    # Every later process of the checkout (server, worker, manage.py) reads the same keys.
    assert keys_seen(**development_env(secrets_file)) == (secret_key, jwt_key)


def test_two_checkouts_get_different_keys(tmp_path, no_dotenv_secrets):
    first = keys_seen(**development_env(tmp_path / "one.env"))
    second = keys_seen(**development_env(tmp_path / "two.env"))

    assert set(first).isdisjoint(second)


def test_processes_starting_together_agree_on_the_keys(tmp_path, no_dotenv_secrets):
    secrets_file = tmp_path / "dev-secrets.env"
    base = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(Path.home())}
    command = [sys.executable, "manage.py", "shell", "--no-imports", "-c", PRINT_KEYS]
    processes = [
        subprocess.Popen(
            command,
            cwd=ROOT,
            env={**base, **development_env(secrets_file)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]

    assert [process.returncode for process in processes] == [0] * 4, outputs
    assert len({stdout for stdout, _ in outputs}) == 1
    assert os.listdir(tmp_path) == ["dev-secrets.env"]  # no temporary file left behind


def test_the_environment_wins_over_the_secrets_file(tmp_path, no_dotenv_secrets):
    secrets_file = tmp_path / "dev-secrets.env"
    from_file = keys_seen(**development_env(secrets_file))
    mine = secrets.token_urlsafe(50)

    assert keys_seen(**development_env(secrets_file, DJANGO_SECRET_KEY=mine)) == (
        mine,
        from_file[1],
    )


def test_the_secrets_file_is_never_read_with_debug_off(tmp_path, no_dotenv_secrets):
    secrets_file = tmp_path / "dev-secrets.env"
    keys_seen(**development_env(secrets_file))

    result = manage(
        "check",
        **production_env(DJANGO_SECRET_KEY=None, DJANGO_DEBUG="false"),
        DEV_SECRETS_FILE=str(secrets_file),
    )

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("debug", ["true", "false"])
@pytest.mark.parametrize("variable", ["DJANGO_SECRET_KEY", "JWT_SIGNING_KEY"])
def test_a_published_secret_is_refused_whatever_debug_says(tmp_path, debug, variable):
    env = production_env(DJANGO_DEBUG=debug, **{variable: PUBLISHED})

    result = manage("check", **env, DEV_SECRETS_FILE=str(tmp_path / "dev-secrets.env"))

    assert result.returncode != 0
    assert "a value published in Chirp's repository" in result.stderr


# A literal value given to either key in any tracked file (`NAME=value`, `NAME: value`,
# `"NAME": "value"`). Interpolations (${...}), command substitutions ($(...)) and code
# (`secrets.token_urlsafe(50)`) are not literals.
LITERAL_KEY_RE = re.compile(
    r"""\b(DJANGO_SECRET_KEY|JWT_SIGNING_KEY)["']?[ \t]*[=:][ \t]*["']?"""
    r"""([A-Za-z0-9_+/.-]{16,})(?=["'\s\\]|$)""",
    re.MULTILINE,
)


def test_no_file_in_the_repository_publishes_a_usable_secret():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    found = [
        f"{name}: {variable}={value}"
        for name in tracked
        if (ROOT / name).is_file()
        for variable, value in LITERAL_KEY_RE.findall((ROOT / name).read_text(errors="replace"))
    ]
    assert not found, found


# --- the Celery broker (docs/reliability.md trap 17) ----------------------------------------------

PRINT_BROKER = (
    "from django.conf import settings as s; "
    "print(s.CACHES['default']['LOCATION'], s.CELERY_BROKER_URL, s.CELERY_TASK_DEFAULT_QUEUE)"
)


def celery_target(**env: str) -> tuple[str, str, str]:
    """(cache URL, broker URL, default queue) of a process started with `env`."""
    result = manage("shell", "--no-imports", "-c", PRINT_BROKER, **production_env(**env))
    assert result.returncode == 0, result.stderr
    cache, broker, queue = result.stdout.split()
    return cache, broker, queue


def redis_db(url: str) -> str:
    parts = urlsplit(url)
    return dict(parse_qsl(parts.query)).get("db") or parts.path.strip("/") or "0"


def test_deployments_on_different_redis_databases_never_share_a_queue():
    targets = [
        celery_target(REDIS_URL=f"redis://127.0.0.1:6379/{db}", CACHE_KEY_PREFIX="chirp")
        for db in (0, 1, 2, 3)
    ]

    queues = {(broker, queue) for _, broker, queue in targets}
    assert len(queues) == len(targets), targets


def test_deployments_sharing_a_cache_database_by_prefix_get_their_own_queues():
    first = celery_target(REDIS_URL="redis://127.0.0.1:6379/0", CACHE_KEY_PREFIX="shop")
    second = celery_target(REDIS_URL="redis://127.0.0.1:6379/0", CACHE_KEY_PREFIX="blog")

    assert first[1:] != second[1:]


@pytest.mark.parametrize(
    "redis_url",
    ["redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/1", "redis://h:6379?db=3"],
)
def test_the_broker_never_shares_the_cache_database(redis_url):
    cache, broker, _ = celery_target(REDIS_URL=redis_url)

    assert urlsplit(broker).netloc == urlsplit(cache).netloc
    assert redis_db(broker) != redis_db(cache)


def test_explicit_broker_and_queue_win():
    _, broker, queue = celery_target(
        REDIS_URL="redis://127.0.0.1:6379/0",
        CELERY_BROKER_URL="redis://broker.example:6379/5",
        CELERY_TASK_DEFAULT_QUEUE="mine",
    )

    assert (broker, queue) == ("redis://broker.example:6379/5", "mine")


# --- Chirp's deploy checks (core/checks.py; tests/core/test_deploy_checks.py has each) ------


@pytest.mark.parametrize(
    ("overrides", "warning"),
    [
        ({"DJANGO_ALLOWED_HOSTS": "*"}, "chirp.W001"),
        ({"THROTTLE_ENABLED": "false"}, "chirp.W002"),
    ],
    ids=["wildcard-host", "throttles-off"],
)
def test_check_deploy_reports_chirps_own_warnings(overrides, warning):
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env(**overrides))

    assert result.returncode != 0
    assert warning in result.stderr
