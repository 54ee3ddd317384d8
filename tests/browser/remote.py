"""Playwright in a thread of its own, reached from the tests through proxies.

Playwright's sync API belongs to the thread that started it and leaves an asyncio loop
marked as running there for as long as it lives. Beside it Django's ORM refuses to run
(SynchronousOnlyOperation) and asyncio tests cannot start their loops, so a browser shared
by the whole session cannot live in pytest's thread. It lives here: every call on a
`Remote` (a page, a locator, `expect`) is sent to the browser thread and waited for; its
result comes back as is (strings, numbers, dicts) or wrapped in another `Remote`, and its
exception is raised in the test.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Any

PLAIN = (str, bytes, int, float, bool, type(None), dict, list, tuple)


class BrowserThread:
    """Starts Playwright and one browser in a daemon thread; `run(fn, ...)` calls fn there."""

    def __init__(self, launch) -> None:
        self._launch = launch  # called in the thread with the Playwright object
        self._calls: queue.Queue = queue.Queue()
        self._started: Future = Future()
        self._thread = threading.Thread(target=self._serve, name="playwright", daemon=True)

    def start(self) -> Remote:
        """Start the thread; the browser, once launched."""
        self._thread.start()
        self.browser = Remote(self, self._started.result(timeout=120))
        return self.browser

    def _serve(self) -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = self._launch(playwright)
                self._started.set_result(browser)
                while (call := self._calls.get()) is not None:
                    fn, args, kwargs, future = call
                    try:
                        future.set_result(fn(*args, **kwargs))
                    except BaseException as exc:  # the test re-raises it
                        future.set_exception(exc)
                browser.close()
        except BaseException as exc:
            if not self._started.done():
                self._started.set_exception(exc)
            raise

    def run(self, fn, *args, **kwargs) -> Any:
        future: Future = Future()
        self._calls.put((fn, args, kwargs, future))
        return future.result()

    def stop(self) -> None:
        self._calls.put(None)
        self._thread.join(timeout=30)

    def remote(self, target) -> Remote:
        return Remote(self, target)


def _unwrap(value):
    if isinstance(value, Remote):
        return object.__getattribute__(value, "_target")
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(item) for item in value)
    if isinstance(value, dict):
        return {key: _unwrap(item) for key, item in value.items()}
    return value


class Remote:
    """A Playwright object living in the browser thread."""

    __slots__ = ("_target", "_thread")

    def __init__(self, thread: BrowserThread, target) -> None:
        object.__setattr__(self, "_thread", thread)
        object.__setattr__(self, "_target", target)

    def _wrap(self, value):
        return value if isinstance(value, PLAIN) else Remote(self._thread, value)

    def __getattr__(self, name: str):
        return self._wrap(self._thread.run(getattr, self._target, name))

    def __call__(self, *args, **kwargs):
        call = self._thread.run(self._target, *_unwrap(args), **_unwrap(kwargs))
        return self._wrap(call)

    def __repr__(self) -> str:
        return f"Remote({self._thread.run(repr, self._target)})"
