"""How each kind of process holds its PostgreSQL connections (docs/scaling.md): ASGI servers
always through a bounded pool (docs/reliability.md trap 11), WSGI workers and Celery one
persistent connection per thread. Settings are loaded in a fresh interpreter, as a server
loads them; no database is contacted."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = "postgres://chirp@127.0.0.1:1/chirp"

SHOW_DATABASE = (
    "from django.conf import settings; import json; "
    "db = settings.DATABASES['default']; "
    "print(json.dumps({'max_age': db['CONN_MAX_AGE'], 'pool': db.get('OPTIONS', {}).get('pool')}))"
)


def load_settings(entry_point: str, **env: str) -> subprocess.CompletedProcess:
    """Import `entry_point` (as the server does) in a fresh Python, then print the database
    connection settings."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "DJANGO_"))
    }
    environment.update({"DJANGO_SETTINGS_MODULE": "config.settings", **env})
    code = f"import {entry_point}; {SHOW_DATABASE}" if entry_point else SHOW_DATABASE
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def database_settings(entry_point: str, **env: str) -> dict:
    result = load_settings(entry_point, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_asgi_server_takes_connections_from_a_pool_of_4_by_default():
    assert database_settings("config.asgi", DATABASE_URL=POSTGRES_URL) == {
        "max_age": 0,
        "pool": {"min_size": 1, "max_size": 4, "timeout": 5.0},
    }


def test_asgi_pool_size_and_timeout_come_from_the_environment():
    settings = database_settings(
        "config.asgi",
        DATABASE_URL=POSTGRES_URL,
        DATABASE_POOL_SIZE="10",
        DATABASE_POOL_TIMEOUT="2.5",
        DATABASE_CONN_MAX_AGE="600",  # ignored: a pooled connection is never kept outside it
    )
    assert settings == {"max_age": 0, "pool": {"min_size": 1, "max_size": 10, "timeout": 2.5}}


def test_asgi_server_refuses_to_run_without_a_pool():
    result = load_settings("config.asgi", DATABASE_URL=POSTGRES_URL, DATABASE_POOL_SIZE="0")
    assert result.returncode != 0
    assert "DATABASE_POOL_SIZE must be at least 1 under an ASGI server" in result.stderr


@pytest.mark.parametrize("entry_point", ["config.wsgi", "config.celery"])
def test_wsgi_workers_and_celery_keep_one_persistent_connection_per_thread(entry_point):
    assert database_settings(entry_point, DATABASE_URL=POSTGRES_URL) == {
        "max_age": 60,
        "pool": None,
    }


def test_embedded_sqlite_has_no_pool_under_asgi():
    settings = database_settings("config.asgi", DATABASE_URL="sqlite:///:memory:")
    assert settings["pool"] is None
