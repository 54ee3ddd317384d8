"""Chirp's own `manage.py check --deploy` checks: mistakes in production settings that
settings alone do not refuse (docs/reliability.md, OWASP "misconfiguration")."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_production_settings(app_configs, **kwargs) -> list[Warning]:
    warnings = []
    if "*" in settings.ALLOWED_HOSTS:
        warnings.append(
            Warning(
                "DJANGO_ALLOWED_HOSTS contains '*': any Host header is accepted, so links "
                "built from the request (email links, redirects) can point at another site.",
                hint="List the domain names this site answers to.",
                id="chirp.W001",
            )
        )
    if not settings.THROTTLE_ENABLED:
        warnings.append(
            Warning(
                "THROTTLE_ENABLED is off: logins, password changes, sign-ups and writes have "
                "no rate limit, so passwords can be guessed at full speed.",
                hint="Set THROTTLE_ENABLED=true (off is for load tests and benchmarks only).",
                id="chirp.W002",
            )
        )
    if settings.SIMPLE_JWT["SIGNING_KEY"] == settings.SECRET_KEY:
        warnings.append(
            Warning(
                "JWT_SIGNING_KEY equals DJANGO_SECRET_KEY: one leak or rotation is both.",
                hint="Give JWT_SIGNING_KEY its own random value.",
                id="chirp.W003",
            )
        )
    return warnings
