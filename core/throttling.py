"""Scoped throttles. Rates come from THROTTLE_RATES (`scope=rate` pairs over the defaults
in settings); THROTTLE_ENABLED=false switches them all off (load tests and benchmarks only;
never in production). Signed-in clients are counted per user, anonymous ones per IP.

Counts live in the cache. When the cache (Redis) cannot be reached, throttles fail open:
the request goes through uncounted, and core.outages counts `throttle_fail_open` (a warning
in the log, the count in /readyz). Refusing every request instead would turn a cache outage
into a full outage (docs/reliability.md trap 12)."""

from django.conf import settings
from rest_framework.exceptions import Throttled
from rest_framework.throttling import SimpleRateThrottle

from core import outages


class ChirpThrottle(SimpleRateThrottle):
    scope: str = ""
    safe_methods_free = False  # when True, reads (GET/HEAD/OPTIONS) are never counted

    def get_rate(self) -> str | None:
        # Read at request time, so settings overrides take effect without a restart.
        return settings.THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        if not settings.THROTTLE_ENABLED:
            return True
        if self.safe_methods_free and request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except outages.REDIS_DOWN_ERRORS as exc:
            outages.record("throttle_fail_open", exc)
            return True

    def get_cache_key(self, request, view) -> str:
        user = getattr(request, "user", None)
        ident = (
            f"u{user.pk}" if user is not None and user.is_authenticated else self.get_ident(request)
        )
        return self.cache_format % {"scope": self.scope, "ident": ident}


class KeyedThrottle(ChirpThrottle):
    """A scope counted under a key the caller names (an account), or by default under the
    client's IP whoever is signed in. For checks a view or a form makes once it knows what
    is attempted, which DRF's throttle_classes cannot see: they run before the body is read,
    and not at all outside DRF (Django's login forms)."""

    def __init__(self, scope: str, key: str | None = None) -> None:
        self.scope, self.key = scope, key
        super().__init__()

    def get_cache_key(self, request, view) -> str:
        ident = self.key or self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def check(self, request) -> None:
        """Count this request; over the rate, raise Throttled (429 with Retry-After), as a
        view's throttle_classes would."""
        if not self.allow_request(request, None):
            raise Throttled(wait=self.wait())


_throttles: dict[tuple[str, bool], type[ChirpThrottle]] = {}


def throttle(scope: str, *, writes_only: bool = False) -> type[ChirpThrottle]:
    """The throttle class for a scope, e.g. `throttle_classes=[throttle("login")]`."""
    key = (scope, writes_only)
    if key not in _throttles:
        name = "".join(part.title() for part in scope.split("_")) + "Throttle"
        attrs = {"scope": scope, "safe_methods_free": writes_only}
        _throttles[key] = type(name, (ChirpThrottle,), attrs)
    return _throttles[key]
