"""Health checks, and JSON answers for the errors DRF never sees (Django's handlers, CSRF).
The landing page is demo/views.py."""

import logging
from collections.abc import Callable
from functools import partial

from celery import Celery
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from core import outages, realtime
from core.exception_handler import error_body, json_error

logger = logging.getLogger(__name__)


@csrf_exempt
@require_GET
def healthz(request):
    """Liveness: the process answers. Checks nothing else, so a database outage does not
    get every web process restarted by the orchestrator."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    key = "readyz:probe"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return what was stored")


def _check_broker(app: Celery) -> None:
    if app.conf.task_always_eager:
        return  # embedded mode: tasks run in-process, there is no broker to reach
    with app.connection_for_write() as conn:
        # One immediate retry, no back-off: a probe must answer within the orchestrator's
        # timeout (kombu's default 2 s interval would make "down" look like "hung").
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        conn.default_channel  # noqa: B018  (opening a channel proves the broker answers)


def _checks(celery_app: Celery) -> dict[str, Callable[[], None]]:
    return {
        "database": _check_database,
        "cache": _check_cache,
        "channel_layer": realtime.check_channel_layer,
        "broker": partial(_check_broker, celery_app),
    }


@csrf_exempt
@require_GET
def readyz(request, celery_app: Celery):
    """Readiness: 200 when the database, cache, channel layer and broker answer; 503 naming
    those that don't. `celery_app` comes from config/urls.py: core sits below the project
    package and does not import it.

    `degraded`, when present, counts what this process did without a service since it
    started (core.outages: throttles let through, 503s answered).
    """
    checks = {}
    for name, check in _checks(celery_app).items():
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:
            logger.warning("readiness check %s failed: %s", name, exc)
            checks[name] = "down"
    down = sorted(name for name, state in checks.items() if state != "ok")
    degraded = outages.counts()
    if down:
        body = error_body("service_unavailable", f"Unavailable: {', '.join(down)}.")
        body.update({"status": "unavailable", "checks": checks, "down": down})
    else:
        body = {"status": "ok", "checks": checks}
    if degraded:
        body["degraded"] = degraded
    response = JsonResponse(body, status=503 if down else 200)
    if down:
        response["Retry-After"] = str(outages.RETRY_AFTER_SECONDS)
    return response


def bad_request(request, exception=None):
    return json_error(400)


def permission_denied(request, exception=None):
    return json_error(403)


def page_not_found(request, exception=None):
    return json_error(404)


def server_error(request):
    return json_error(500)


def csrf_failure(request, reason=""):
    detail = "CSRF check failed. Send a Bearer token, or the CSRF cookie and header."
    if settings.DEBUG:
        detail = f"{detail} ({reason})"
    return json_error(403, detail)
