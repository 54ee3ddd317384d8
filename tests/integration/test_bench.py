"""`make bench`'s entry point runs every group end to end (--tiny: toy sizes, on its own
bench database) and writes a valid JSON result and both charts. The figures themselves
are not judged here: a loaded CI machine misses latency goals; docs/benchmarks.md records
a full run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.conf import settings

from tests.conftest import service_missing
from tests.integration.conftest import database_url

ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def bench_database_url():
    """A database of the bench's own (it drops and recreates it; its name says bench),
    dropped afterwards."""
    parts = urlsplit(database_url())
    name = f"chirp_bench_test_{uuid.uuid4().hex[:8]}"
    url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))
    yield url
    maintenance = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.timeout(900)
def test_tiny_bench_writes_json_and_charts(bench_database_url, tmp_path):
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None and not shutil.which(f"/usr/sbin/{tool}"):
            service_missing(f"make bench needs {tool} (apt-get install wrk nginx-light)")
    out = tmp_path / "result.json"
    charts = tmp_path / "charts"
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")},
        "DATABASE_URL": bench_database_url,
        "REDIS_URL": settings.REDIS_URL,
    }
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--tiny", "--json", str(out),
         "--charts", str(charts)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=840,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    result = json.loads(out.read_text())
    assert result["failed"] == []
    assert set(result["parts"]) == {"feed", "serving", "fanout", "sockets", "chat"}
    for name, part in result["parts"].items():
        assert part["checks"], name
        assert len(part["load_average_before"]) == 3, name
    # Counts do not depend on the machine's load: every event arrives, every close is clean.
    checks = {c["name"]: c for part in result["parts"].values() for c in part["checks"]}
    assert checks["newsfeed SQL queries, warm"]["passed"]
    assert checks["HTTP 5xx and socket errors"]["passed"]
    assert checks["mass close: errors logged"]["passed"]
    for chart in ("latency.png", "throughput.png"):
        assert (charts / chart).read_bytes().startswith(PNG_SIGNATURE)
    assert "goals met" in completed.stdout
    assert "] 5/5 chat: done in" in completed.stdout  # the progress line
