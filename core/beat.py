"""What runs CELERY_BEAT_SCHEDULE (trends, suggestions, the reconcilers), in either mode.

With a broker (REDIS_URL or CELERY_BROKER_URL): one `celery -A config beat` process sends
the due tasks to the workers; its schedule file goes to .run/ (PersistentScheduler below).
Without one, a worker or beat process could never receive anything, so both refuse to start
(`refuse_without_broker`, connected in config/celery.py).

Without a broker (the embedded mode, tasks run eagerly): the serving process runs the same
schedule itself, in a thread (EmbeddedBeat), which config/asgi.py starts. Management
commands never import the ASGI application, and tests turn it off (EMBEDDED_BEAT=false in
pyproject.toml) unless a test asks for it.
"""

from __future__ import annotations

import atexit
import logging
import threading
from pathlib import Path
from typing import Any

from celery import Celery, beat
from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

# Seconds a stopping server waits for the periodic task that is running to finish.
STOP_TIMEOUT = 10.0
# Seconds to wait before ticking again after the scheduler itself failed (not a task).
ERROR_PAUSE = 5.0
MIN_PAUSE = 0.01


def has_broker(app: Celery) -> bool:
    """Whether tasks can reach another process: any transport but kombu's in-memory one,
    which is what settings choose when neither REDIS_URL nor CELERY_BROKER_URL is set."""
    return not str(app.conf.broker_url or "").startswith("memory://")


def refuse_without_broker(app: Celery, program: str) -> None:
    """Stop `celery worker` or `celery beat` at startup when there is no broker: on the
    in-memory transport a worker waits forever for tasks no other process can send it, and
    beat's tasks reach no worker."""
    if has_broker(app):
        return
    raise SystemExit(
        f"celery {program}: refusing to start without a broker. Set REDIS_URL (or "
        f"CELERY_BROKER_URL), in the environment or in .env, to run a {program} beside "
        "the web server. Without a broker `make run` needs no worker and no beat: tasks run "
        "inside the web process, and so does the periodic schedule."
    )


class PersistentScheduler(beat.PersistentScheduler):
    """Beat's default scheduler, which first creates the folder of its schedule file
    (CELERY_BEAT_SCHEDULE_FILENAME: .run/, git-ignored, rather than the working directory)."""

    def setup_schedule(self) -> None:
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()


class EagerScheduler(beat.Scheduler):
    """Beat's in-memory scheduler for `entries` (CELERY_BEAT_SCHEDULE), running each due task
    through Celery's eager path (apply_async with task_always_eager: in this thread, now).
    A task that raises is logged and runs again at its next time."""

    # Eager tasks are never published: no producer, no broker connection.
    producer = None

    def __init__(self, app: Celery, entries: dict[str, dict[str, Any]], **kwargs: Any) -> None:
        self.entries = entries
        super().__init__(app, **kwargs)

    def setup_schedule(self) -> None:
        # Every app's tasks module, as a worker imports them: a web process has imported
        # only those its requests needed. (Not loader.import_default_modules(): through
        # Celery's Django fixup it would set Django up again and run the system checks.)
        self.app.autodiscover_tasks(force=True)
        # Only our entries: not beat's default backend_cleanup (there is no result backend).
        self.merge_inplace(self.entries)

    def apply_entry(self, entry: beat.ScheduleEntry, producer: Any = None) -> None:
        task = self.app.tasks.get(entry.task)
        if task is None:
            # Beat would fall back to send_task, into the in-memory broker: lost silently.
            logger.error("embedded beat: %s names an unknown task %s", entry.name, entry.task)
            return
        logger.debug("embedded beat: running %s (%s)", entry.name, entry.task)
        try:
            task.apply_async(entry.args, entry.kwargs, **entry.options)
        except Exception:
            # Eager tasks propagate their exception (CELERY_TASK_EAGER_PROPAGATES) unlogged.
            logger.exception(
                "embedded beat: %s (%s) failed; it runs again on schedule", entry.name, entry.task
            )


class EmbeddedBeat:
    """A daemon thread ticking an EagerScheduler until `stop()`."""

    def __init__(self, app: Celery, entries: dict[str, dict[str, Any]]) -> None:
        self.scheduler = EagerScheduler(app, entries)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="embedded-beat", daemon=True)

    def start(self) -> EmbeddedBeat:
        self._thread.start()
        return self

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Let the running task finish (up to `timeout` seconds), then end the thread."""
        self._stopping.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                delay = self.scheduler.tick()
            except Exception:
                logger.exception("embedded beat: the scheduler failed; ticking again shortly")
                delay = ERROR_PAUSE
            finally:
                # Like the end of a request: this thread keeps no connection between runs.
                connections.close_all()
            # tick() answers 0 (or a hair below) when another entry is due at once.
            self._stopping.wait(max(delay, MIN_PAUSE))
        logger.info("embedded beat: stopped")


_embedded: EmbeddedBeat | None = None
_lock = threading.Lock()


def start_embedded_beat(app: Celery) -> EmbeddedBeat | None:
    """Run CELERY_BEAT_SCHEDULE in this process when nothing else can: no broker, tasks
    eager, and EMBEDDED_BEAT on. Once per process; stopped when the process exits."""
    global _embedded
    if not settings.EMBEDDED_BEAT or has_broker(app) or not app.conf.task_always_eager:
        return None
    with _lock:
        if _embedded is None:
            _embedded = EmbeddedBeat(app, app.conf.beat_schedule).start()
            atexit.register(_embedded.stop)
            names = ", ".join(sorted(app.conf.beat_schedule))
            logger.info("embedded beat: no broker, running the periodic tasks here (%s)", names)
    return _embedded
