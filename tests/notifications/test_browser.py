"""The parent's phone: muting from the conversation page, installing the site as an app, and
reading the last conversation offline. Uses the live daphne server and Chromium fixtures of
tests/browser/conftest.py."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from notifications.models import Mute
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    CHROMIUM,
    CHROMIUM_ARGS,
    browser,
    live_server_url,
    login,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


PHONE = {"width": 390, "height": 800}


@pytest.fixture
def phone(monkeypatch, tmp_path):
    """phone(base_url, username) -> a signed-in page in a browser profile of its own on disk:
    Chromium installs nothing from an incognito context, which is what ``browser.new_context``
    makes."""
    if not shutil.which(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tmp_path / "profile", executable_path=CHROMIUM, args=CHROMIUM_ARGS, viewport=PHONE,
            is_mobile=True, has_touch=True)

        def _phone(base_url: str, username: str):
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(f"{base_url}/login/")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"{base_url}/")
            return page

        yield _phone
        context.close()


def worker_scope(page) -> str | None:
    return page.evaluate("""() => Promise.race([
        navigator.serviceWorker.ready.then((reg) => reg.active ? reg.scope : null),
        new Promise((resolve) => setTimeout(() => resolve("no worker"), 10000)),
    ])""")


def open_chat(page, base_url, conversation):
    page.goto(f"{base_url}/c/{conversation.pk}/")
    expect(page.locator("#status")).to_have_text("Connected")


def test_a_parent_mutes_and_unmutes_from_the_conversation_page(live_server_url, login,  # noqa: F811
                                                               conversation_4b, parent):
    page = login(live_server_url, "parent")
    expect(page.get_by_role("link", name="Notifications")).to_have_attribute("href", "/notifications/")
    open_chat(page, live_server_url, conversation_4b)
    page.get_by_text("Mute notifications").click()
    page.get_by_label("For").select_option(label="a week")
    page.get_by_role("button", name="Mute", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="You will not be notified")).to_be_visible()
    expect(page.get_by_text("Muted until")).to_be_visible()
    mute = Mute.objects.get(user=parent, conversation=conversation_4b)
    assert mute.until is not None

    page.get_by_role("button", name="Unmute").click()
    expect(page.get_by_text("Mute notifications")).to_be_visible()
    assert not Mute.objects.filter(user=parent).exists()


def test_the_site_installs_as_a_phone_app_with_its_worker_active(live_server_url, phone,  # noqa: F811
                                                                 parent):
    page = phone(live_server_url, "parent")
    manifest = page.request.get(f"{live_server_url}/manifest.webmanifest").json()
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert page.request.get(f"{live_server_url}{icon['src']}").ok
    assert worker_scope(page) == f"{live_server_url}/"
    page.reload()
    session = page.context.new_cdp_session(page)
    manifest_seen = session.send("Page.getAppManifest")
    assert not manifest_seen.get("errors"), manifest_seen
    assert session.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
