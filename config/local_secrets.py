"""Per-checkout development secrets (docs/reliability.md trap 15).

A default secret written in a public repository is everyone's key: anything signed with it
(JWTs, email verification tokens, password reset links, Facebook `state`) can be forged by
whoever reads the code. So a development checkout gets its own random DJANGO_SECRET_KEY
and a different random JWT_SIGNING_KEY, written on first start to a git-ignored file that
every process of the checkout reads through settings: `make run`, `manage.py` commands,
Celery worker and beat, the test suite (and its xdist workers, which may start at the same
instant). Production sets both keys in the environment; settings never read this file with
DEBUG off.
"""

import contextlib
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

KEYS = ("DJANGO_SECRET_KEY", "JWT_SIGNING_KEY")
HEADER = (
    "# Development secrets of this checkout, written by config/local_secrets.py on first\n"
    "# start. Never commit or share this file; delete it to get new keys (which signs every\n"
    "# user out). Variables set in the environment or in .env win over these.\n"
)


def load_or_create(path: Path) -> dict[str, str]:
    """The keys stored in `path`, written there first (mode 0600) if the file is absent."""
    try:
        if not path.exists():
            _create(path)
        values = _parse(path.read_text())
    except OSError as exc:
        raise ImproperlyConfigured(
            f"Could not read or write the development secrets file {path} ({exc}). Set "
            "DJANGO_SECRET_KEY and JWT_SIGNING_KEY, or DEV_SECRETS_FILE to a writable path."
        ) from exc
    missing = [name for name in KEYS if not values.get(name)]
    if missing:
        raise ImproperlyConfigured(
            f"{path} lacks {', '.join(missing)}; delete the file to have a new one written."
        )
    return values


def _create(path: Path) -> None:
    """Write the file atomically: complete, or not at all, and never replacing another's.

    Processes starting together (pytest-xdist workers, web and worker) each write a private
    temporary file and hard-link it to the final name. link() fails when the name exists,
    unlike rename(), which would replace it: so the first link wins, and every process then
    reads the winner's keys instead of each keeping its own.
    """
    body = HEADER + "".join(f"{name}={secrets.token_urlsafe(50)}\n" for name in KEYS)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as file:
            file.write(body)
            file.flush()
            os.fsync(file.fileno())
        # FileExistsError: another process won, and its keys are the checkout's.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _parse(text: str) -> dict[str, str]:
    lines = (line.strip() for line in text.splitlines())
    pairs = (line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs}
