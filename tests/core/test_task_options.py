"""Every task's options come from one place (CELERY_TASK_* settings, core.tasks.Task) and
hold docs/reliability.md trap 6: acks_late, and a task ends (time limit) and retries (backoff)
well within the broker's visibility_timeout, so that it is never redelivered while it runs."""

from django.conf import settings

from config.celery import app
from core.tasks import PeriodicTask

VISIBILITY_TIMEOUT = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]


def chirp_tasks():
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_every_task_acks_late_and_ends_well_within_the_visibility_timeout():
    tasks = chirp_tasks()

    assert len(tasks) >= 12
    for name, task in tasks.items():
        hard = task.time_limit or app.conf.task_time_limit
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        assert (task.acks_late, task.reject_on_worker_lost) == (True, True), name
        assert soft < hard <= VISIBILITY_TIMEOUT / 5, name
        assert task.retry_backoff_max <= VISIBILITY_TIMEOUT / 5, name


def test_a_periodic_task_is_not_retried_its_next_run_is_its_retry():
    tasks = chirp_tasks()

    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert isinstance(tasks[entry["task"]], PeriodicTask), entry["task"]
        assert tasks[entry["task"]].autoretry_for == (), entry["task"]
