"""The one throttle class: DRF's ScopedRateThrottle, listed in DEFAULT_THROTTLE_CLASSES.

A view opts in with `throttle_scope = "post"` (an action with `@action(throttle_scope=...)`);
rates are REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (THROTTLE_RATES in the environment
overrides them per scope). Signed-in clients are counted per user, anonymous ones per IP.
What this subclass adds to DRF's:

- THROTTLE_ENABLED=false switches every throttle off (load tests and benchmarks only;
  never in production);
- a view with `throttle_writes_only = True` counts unsafe methods only: reading tweets is
  free, posting them is not;
- counts live in the cache, and when the cache (Redis) cannot be reached the throttle fails
  open: the request goes through uncounted, and core.outages counts `throttle_fail_open` (a
  warning in the log, the count in /readyz). Refusing every request instead would turn a
  cache outage into a full outage (docs/reliability.md trap 12).
"""

from django.conf import settings
from rest_framework import exceptions, permissions, throttling
from rest_framework.settings import api_settings

from core import outages


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    def allow_request(self, request, view) -> bool:
        if not settings.THROTTLE_ENABLED:
            return True
        if getattr(view, "throttle_writes_only", False) and (
            request.method in permissions.SAFE_METHODS
        ):
            return True
        try:
            return super().allow_request(request, view)
        except outages.REDIS_DOWN_ERRORS as exc:
            outages.record("throttle_fail_open", exc)
            return True

    def get_rate(self) -> str:
        # DRF binds THROTTLE_RATES when its module is imported; read the setting per
        # request instead, so that overriding it (tests) takes effect.
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        return super().get_rate()


class _Frame:
    """What DRF's throttle reads of a request, for a client's frame on a socket."""

    method = "POST"

    def __init__(self, user) -> None:
        self.user = user
        self.META: dict = {}


def throttle_frame(*, user, scope: str) -> None:
    """The REST throttle for a frame a signed-in user sent over a socket: the same class,
    rate and per-user count as a request of `scope` (a message sent over the socket uses up
    the `post` rate like one POSTed). Raises DRF's Throttled, with the wait, when over it."""
    throttle = ScopedRateThrottle()
    view = type("SocketFrame", (), {"throttle_scope": scope})()
    if not throttle.allow_request(_Frame(user), view):
        raise exceptions.Throttled(throttle.wait())
