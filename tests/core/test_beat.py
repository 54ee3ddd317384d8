"""Periodic work in both modes (core/beat.py).

Without a broker, the serving process runs CELERY_BEAT_SCHEDULE itself: proven end to end on
a server started as `make run` starts it (trends change within an interval of new hashtags,
with no other command running), and piece by piece in this process. With one, `celery
worker` and `celery beat` run it, and without one they refuse to start.
"""

import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app as celery_app
from core.beat import EagerScheduler, has_broker, start_embedded_beat
from tests import embedded_server
from tests.factories import TweetFactory
from tests.integration.conftest import wait_until
from tweets.models import Trend

embedded_database = embedded_server.embedded_database
start_server = embedded_server.start_server

ROOT = Path(__file__).resolve().parents[2]
CELERY_BIN = Path(sys.executable).parent / "celery"
TRENDS_INTERVAL = 2  # seconds, for the server below


def trend_names(body) -> list[str]:
    results = body["results"] if isinstance(body, dict) else body
    return [trend["hashtag"] for trend in results]


@pytest.mark.slow
def test_trends_change_under_make_run_within_an_interval_with_no_other_command(start_server):
    server = start_server(TRENDS_INTERVAL_SECONDS=str(TRENDS_INTERVAL))
    assert "embedded beat: no broker, running the periodic tasks here" in server.log()
    token = server.login("alice", "chirp-demo-pass")
    tag = f"fresh{uuid.uuid4().hex[:8]}"
    status, body = server.request("GET", "/api/v1/trends/")
    assert status == 200 and tag not in trend_names(body)

    for number in range(3):
        status, body = server.request(
            "POST", "/api/v1/tweets/", {"text": f"Trying #{tag}, take {number}"}, token=token
        )
        assert status == 201, body

    def trending() -> list | None:
        status, body = server.request("GET", "/api/v1/trends/")
        assert status == 200, body
        results = body["results"] if isinstance(body, dict) else body
        return results if {"hashtag": tag, "tweets_count": 3} in results else None

    # About one interval (plus a slow machine's margin); nothing else computes trends.
    results = wait_until(trending, timeout=TRENDS_INTERVAL + 30, interval=0.2, what="new trend")
    assert results[0] == {"hashtag": tag, "tweets_count": 3}  # the seed's tags have 2 at most

    # The schedule stops with the server (Ctrl-C), cleanly.
    assert server.stop() == 0
    log = server.log()
    assert "embedded beat: stopped" in log, log[-3000:]
    assert "Traceback" not in log, log[-6000:]


@pytest.mark.slow
def test_management_commands_start_no_scheduler(tmp_path):
    env = embedded_server.embedded_env(tmp_path / "db.sqlite3", tmp_path / "media")
    result = embedded_server.manage(env, "check")
    assert "embedded beat" not in result.stdout + result.stderr


def test_eager_scheduler_reads_the_one_beat_schedule():
    scheduler = EagerScheduler(celery_app, celery_app.conf.beat_schedule)
    assert set(scheduler.schedule) == set(settings.CELERY_BEAT_SCHEDULE)
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert scheduler.schedule[name].task == entry["task"]
        assert scheduler.schedule[name].task in celery_app.tasks  # imported, so it runs eagerly


@pytest.mark.django_db
def test_a_failing_task_is_logged_and_the_schedule_goes_on(caplog):
    TweetFactory(text="Scheduled #beatcheck")
    scheduler = EagerScheduler(
        celery_app,
        {
            # Called with an argument it does not take: raises on every run.
            "broken": {
                "task": "friendships.tasks.refresh_suggestions",
                "schedule": 0.05,
                "args": ["unexpected"],
            },
            "trends": {"task": "tweets.tasks.compute_trends", "schedule": 0.05},
        },
    )

    def failures() -> list:
        return [r for r in caplog.records if r.name == "core.beat" and r.levelname == "ERROR"]

    deadline = time.monotonic() + 30
    while len(failures()) < 2 or not Trend.objects.exists():
        assert time.monotonic() < deadline, "the schedule stopped after a failure"
        time.sleep(max(scheduler.tick(), 0))

    assert "broken (friendships.tasks.refresh_suggestions) failed" in failures()[0].getMessage()
    assert failures()[0].exc_info is not None  # the traceback, once
    assert list(Trend.objects.values_list("hashtag", flat=True)) == ["beatcheck"]


def test_no_embedded_beat_in_tests_with_a_broker_or_without_eager_tasks(settings):
    # pyproject.toml turns it off for the test process.
    assert settings.EMBEDDED_BEAT is False
    assert start_embedded_beat(celery_app) is None

    settings.EMBEDDED_BEAT = True
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    try:
        celery_app.conf.broker_url = "redis://127.0.0.1:6379/1"
        assert has_broker(celery_app)
        assert start_embedded_beat(celery_app) is None
        celery_app.conf.broker_url = "memory://localhost/"
        celery_app.conf.task_always_eager = False
        assert start_embedded_beat(celery_app) is None
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved


def celery(program: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = embedded_server.embedded_env(tmp_path / "db.sqlite3", tmp_path / "media")
    return subprocess.run(
        [str(CELERY_BIN), "-A", "config", program, "-l", "info", "-s", str(tmp_path / "schedule")]
        if program == "beat"
        else [str(CELERY_BIN), "-A", "config", program, "-l", "info", "--pool", "solo"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize("program", ["worker", "beat"])
def test_worker_and_beat_refuse_to_start_without_a_broker(program, tmp_path):
    result = celery(program, tmp_path)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"celery {program}: refusing to start without a broker" in output
    assert "Set REDIS_URL (or CELERY_BROKER_URL)" in output


def test_beat_keeps_its_schedule_file_in_a_git_ignored_folder():
    schedule = Path(settings.CELERY_BEAT_SCHEDULE_FILENAME)
    assert schedule.parent == ROOT / ".run"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(schedule)], cwd=ROOT, check=False
    ).returncode
    assert ignored == 0, f"{schedule} is not git-ignored"
