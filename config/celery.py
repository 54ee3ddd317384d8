"""The Celery application.

Workers: `celery -A config worker`; schedules: `celery -A config beat`. Both need a broker
(REDIS_URL or CELERY_BROKER_URL) and refuse to start without one; without a broker, the web
process runs tasks eagerly and the schedule in a thread of its own (core/beat.py).
"""

import os

from celery import Celery, signals

from core.beat import refuse_without_broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# core.tasks.Task: every task's retry policy.
app = Celery("chirp", task_cls="core.tasks:Task")
# Every CELERY_* Django setting configures Celery (broker, eager mode, acks_late and time
# limits of every task, beat).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.celeryd_init.connect
def _worker_needs_a_broker(**kwargs) -> None:
    refuse_without_broker(app, "worker")


@signals.beat_init.connect
def _beat_needs_a_broker(**kwargs) -> None:
    refuse_without_broker(app, "beat")
