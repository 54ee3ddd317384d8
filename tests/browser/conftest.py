"""The real-browser tier: Playwright driving Debian's chromium against a real server.

The server is `make run`'s (daphne, tests.integration.servers.start_make_run_server) on a
free port and on this run's PostgreSQL test database, in make run's embedded mode
otherwise (no Redis: tasks run in-process, so emails are sent by the server itself, into
files this tier reads). To keep the tier fast, one chromium serves the session and one
server the package's tests (stopped after them, so that its database connections never
count against another test's bound); each test gets a fresh browser context (cookies,
storage) and writes its own rows (`transactional_db`, so the server sees them).

Skipped, with the reason, when chromium, Playwright or PostgreSQL is missing; failed
instead under CHIRP_REQUIRE_SERVICES=1 (CI installs chromium, see .ci/run). A failing test
leaves a screenshot and the page's HTML under .artifacts/browser/ (git-ignored; CI keeps it).
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser.remote import BrowserThread, Remote
from tests.conftest import service_missing

CHROMIUM = Path(os.environ.get("CHIRP_CHROMIUM", "/usr/bin/chromium"))
# Headless, and nothing that reaches out of the machine (updates, sync, QUIC probes).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".artifacts" / "browser"
TIMEOUT_MS = 15_000


def _require_browser_stack() -> None:
    if importlib.util.find_spec("playwright") is None:
        service_missing("browser tests need Playwright (pip install -r requirements-dev.txt)")
    if not CHROMIUM.exists():
        service_missing(f"browser tests need chromium at {CHROMIUM} (apt-get install chromium)")
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql":
        service_missing(
            "browser tests need PostgreSQL, which the server shares with the test "
            f"(DATABASE_URL=postgres://...); the database engine is {engine}"
        )


@pytest.fixture(scope="session")
def browser_thread() -> Iterator[BrowserThread]:
    """One chromium for the session, in Playwright's own thread (tests/browser/remote.py)."""
    _require_browser_stack()
    thread = BrowserThread(
        lambda playwright: playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
    )
    thread.start()
    yield thread
    thread.stop()


@pytest.fixture(scope="session")
def browser(browser_thread) -> Remote:
    return browser_thread.browser


@pytest.fixture(scope="session")
def expect(browser_thread) -> Remote:
    """Playwright's `expect`, run in the browser thread like every other call."""
    from playwright.sync_api import expect

    return browser_thread.remote(expect)


@dataclass
class LiveServer:
    url: str
    mail_dir: Path
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def emails(self) -> list:
        """The emails the server sent, oldest first (the file backend writes one file per
        connection, messages separated by a line of dashes)."""
        messages = []
        for path in sorted(self.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime_ns):
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    messages.append(message_from_bytes(chunk.lstrip()))
        return messages

    def email_to(self, address: str):
        sent = [m for m in self.emails() if m["To"] == address]
        assert sent, f"no email to {address}"
        return sent[-1]


@pytest.fixture(scope="package")
def chirp_server(browser_thread, django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator:
    """`make run`'s daphne on a free port and the test database, for this package's tests:
    stopped when they are done, so its connections never count against another test's
    bound on the same database."""
    from tests.integration.conftest import database_url
    from tests.integration.servers import start_make_run_server

    base = tmp_path_factory.mktemp("browser-server")
    with django_db_blocker.unblock():
        url = database_url()
    env = {
        "DATABASE_URL": url,
        # make run's embedded mode: no Redis, tasks in-process, emails to files.
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "memory://localhost/",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "DJANGO_DEBUG": "true",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "THROTTLE_ENABLED": "false",
        "EMAIL_URL": f"filemail:///{base / 'mail'}",
        "MEDIA_ROOT": str(base / "media"),
        "FRONTEND_URL": "",
    }
    servers = start_make_run_server(env, base)
    server = servers.servers[0]
    try:
        yield LiveServer(server.url, base / "mail", server.log_path)
    finally:
        servers.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _artifact_name(nodeid: str) -> str:
    return re.sub(r"[^\w.-]+", "_", nodeid.split("::", 1)[-1])


@pytest.fixture
def page(browser, chirp_server, transactional_db, request) -> Iterator:
    """A fresh browser context on the live server; a screenshot and the HTML if the test
    fails."""
    context = browser.new_context(
        base_url=chirp_server.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = _artifact_name(request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.html").write_text(page.content())
        (ARTIFACTS / f"{name}.server.log").write_text(chirp_server.log()[-20_000:])
    context.close()
