"""Browser tests: Playwright drives Debian's Chromium against a real daphne process.

Playwright's own browser download does not work on these machines, so the system Chromium is
launched by path. Its background networking is switched off: the machines have no internet and
Chromium would otherwise keep trying.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from tests.browser.a11y import Audit
from tests.conftest import IN_CI
from tests.factories import PASSWORD
from tests.live import Server, daphne_servers

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


class Login(Protocol):
    """The ``login`` fixture: a logged-in page in its own browser context."""

    def __call__(self, base_url: str, username: str, *, viewport: ViewportSize | None = None) -> Page: ...


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def live_servers(transactional_db: None, tmp_path: Path) -> Iterator[list[Server]]:
    """Two daphne processes on the test database; [0] alone is enough for most tests."""
    with daphne_servers(2, tmp_path) as servers:
        yield servers


@pytest.fixture
def live_server_url(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    with daphne_servers(1, tmp_path) as servers:
        yield servers[0].url


@pytest.fixture
def axe_audit() -> Iterator[Audit]:
    """axe-core's findings on every page this test's browser contexts open (tests/browser/a11y.py):
    any violation fails the test. Torn down after the browsers, so their last pages count."""
    audit = Audit()
    yield audit
    if audit.found:
        pytest.fail(f"axe found {len(audit.found)} accessibility violation(s):\n{audit.report()}",
                    pytrace=False)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch, axe_audit: Audit) -> Iterator[Browser]:
    if not shutil.which(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # while it is open are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # What a page shows is waited for up to 15 s (Playwright's default is 5 s): a 2-core
    # machine running two test workers, their servers and Chromium is slow at times, and a
    # wait that is met returns at once, so only a failing test waits longer.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        new_context = instance.new_context

        def audited_context(**options: Any) -> BrowserContext:
            return axe_audit.watch(new_context(**options))

        # Every context a test makes from this browser is audited, however the test makes it.
        monkeypatch.setattr(instance, "new_context", audited_context)
        yield instance
        axe_audit.finish_all()
        instance.close()


@pytest.fixture
def login(browser: Browser, axe_audit: Audit) -> Iterator[Login]:
    """login(base_url, username) -> a logged-in page in its own browser context."""
    contexts = []

    def _login(base_url: str, username: str, *, viewport: ViewportSize | None = None) -> Page:
        context = browser.new_context(viewport=viewport or {"width": 390, "height": 800})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{base_url}/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        # Where each role lands (accounts.landing): the admin on /school/, others on /.
        page.wait_for_url(lambda url: url.startswith(base_url) and "/login/" not in url)
        return page

    yield _login
    for context in contexts:
        axe_audit.finish(context)
        context.close()
