"""Production settings: refuse to start on dev defaults, and `check --deploy` is clean.

Each test starts `manage.py` in a subprocess with a minimal environment (PATH, HOME and
what the test sets), so the caller's DATABASE_URL, REDIS_URL or DJANGO_DEBUG never leak in.
"""

import secrets
import subprocess
import sys
from pathlib import Path

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
    "secret", [None, "", "too-short-0123456789"], ids=["unset", "empty", "short"]
)
def test_debug_off_without_a_real_secret_refuses_to_start(secret):
    if secret is None and dotenv_sets("DJANGO_SECRET_KEY"):
        pytest.skip("the project's .env sets DJANGO_SECRET_KEY")
    result = manage("check", **production_env(DJANGO_SECRET_KEY=secret))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("hosts", [None, ""], ids=["unset", "empty"])
def test_debug_off_without_allowed_hosts_refuses_to_start(hosts):
    if hosts is None and dotenv_sets("DJANGO_ALLOWED_HOSTS"):
        pytest.skip("the project's .env sets DJANGO_ALLOWED_HOSTS")
    result = manage("check", **production_env(DJANGO_ALLOWED_HOSTS=hosts))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_ALLOWED_HOSTS must be set" in result.stderr
