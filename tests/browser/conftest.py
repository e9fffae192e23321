"""Browser tests: Debian's Chromium driven by Playwright against `make run`'s app.

Without Playwright or a Chromium the tests skip with the reason, except in CI (`CI=true`), where
a missing browser fails them: CI must run them (`.ci/run` installs Chromium). Each person signs in
through `/panel/sso` in a browser context of their own, so cookies never cross. Screenshots go to
`tests/browser/screenshots/` (or `$TICKETING_SCREENSHOTS_DIR`), printed at the end of the run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from .live import LiveServer, live_server

CHROMIUM = os.environ.get("TICKETING_CHROMIUM", "/usr/bin/chromium")
# Nothing in the browser may reach out of this machine, or fetch anything of its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
SCREENSHOTS = Path(
    os.environ.get("TICKETING_SCREENSHOTS_DIR", Path(__file__).parent / "screenshots")
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the browser tests, but {reason}", pytrace=False)
    pytest.skip(reason)


# Package scope, not session: Playwright's sync driver keeps an event loop marked as running in
# this thread while it is open, and every asyncio test after this package would then fail
# ("cannot be called from a running event loop").
@pytest.fixture(scope="package")
def playwright() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (the dev extra: make env)")
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which(CHROMIUM)):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Any) -> Iterator[Any]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("browser-server")
    with live_server(root / "data", root / "server.log") as running:
        probe = httpx.get(f"{running.url}/panel/sso", timeout=5)
        if probe.status_code == 404 and "problem+json" in probe.headers.get("content-type", ""):
            _unavailable("this build serves no panel under /panel/ (services/panel)")
        yield running


class Person:
    """One person's browser: a context of its own, signed in through the panel's SSO."""

    def __init__(self, browser: Any, server: LiveServer, token: str) -> None:
        self.server = server
        self.token = token
        self.context = browser.new_context(
            locale="fa-IR",
            timezone_id="Asia/Tehran",
            viewport={"width": 1280, "height": 900},
        )
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", self._dialog)
        self.received: list[str] = []

    def record_everything(self) -> None:
        """From now on keep every body this browser receives (the live stream aside, which never
        ends): each request is fetched here and handed to the page, so nothing is missed."""
        self.context.route(lambda url: not url.endswith("/notifications/stream"), self._record)

    def _record(self, route: Any) -> None:
        response = route.fetch(max_redirects=0)
        self.received.append(response.body().decode("utf-8", errors="replace"))
        route.fulfill(response=response)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def sign_in(self, return_to: str = "/panel/tickets") -> Any:
        response = self.page.goto(
            f"{self.server.url}/panel/sso?jwt={self.token}&return_to={quote(return_to)}"
        )
        assert self.page.url.startswith(f"{self.server.url}{return_to}"), self.page.url
        return response

    def goto(self, path: str) -> Any:
        return self.page.goto(f"{self.server.url}{path}")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def people(browser: Any, server: LiveServer) -> Iterator[Any]:
    """`people(token)` opens a new signed-out browser context for one person."""
    opened: list[Person] = []

    def open_for(token: str) -> Person:
        person = Person(browser, server, token)
        opened.append(person)
        return person

    yield open_for
    for person in opened:
        person.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.glob("*.png")):
        terminalreporter.write_line(f"browser screenshots: {SCREENSHOTS}")
