"""The parent's phone: muting from the conversation page, installing the site as an app, and
reading the last conversation offline. Uses the live daphne server and Chromium fixtures of
tests/browser/conftest.py."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from accounts.models import School, User
from messaging.models import Conversation
from notifications.models import Mute
from tests.browser.a11y import Audit
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    CHROMIUM,
    CHROMIUM_ARGS,
    Login,
    axe_audit,
    browser,
    live_server_url,
    login,
)
from tests.factories import PASSWORD
from tests.notifications.conftest import post_and_publish

pytestmark = pytest.mark.browser


PHONE: ViewportSize = {"width": 390, "height": 800}
Phone = Callable[[str, str], Page]


@pytest.fixture
def phone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, axe_audit: Audit) -> Iterator[Phone]:  # noqa: F811
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
        axe_audit.watch(context)

        def _phone(base_url: str, username: str) -> Page:
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(f"{base_url}/login/")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"{base_url}/")
            return page

        yield _phone
        axe_audit.finish(context)
        context.close()


def worker_scope(page: Page) -> str | None:
    scope: str | None = page.evaluate("""() => Promise.race([
        navigator.serviceWorker.ready.then((reg) => reg.active ? reg.scope : null),
        new Promise((resolve) => setTimeout(() => resolve("no worker"), 10000)),
    ])""")
    return scope


def open_chat(page: Page, base_url: str, conversation: Conversation) -> None:
    page.goto(f"{base_url}/c/{conversation.pk}/")
    expect(page.locator("#status")).to_have_text("Connected")


def test_a_parent_mutes_and_unmutes_from_the_conversation_page(
        live_server_url: str, login: Login, conversation_4b: Conversation,  # noqa: F811
        parent: User) -> None:
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


def test_the_site_installs_as_a_phone_app_with_its_worker_active(
        live_server_url: str, phone: Phone, parent: User) -> None:  # noqa: F811
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


def cache_names(page: Page) -> list[str]:
    names: list[str] = page.evaluate("() => caches.keys()")
    return names


def test_the_last_conversation_opens_offline_and_an_offline_message_goes_once(
        live_server_url: str, phone: Phone, conversation_4b: Conversation,  # noqa: F811
        teacher: User, parent: User) -> None:
    page = phone(live_server_url, "parent")
    assert worker_scope(page) == f"{live_server_url}/"
    post_and_publish(teacher, conversation_4b, "Swimming starts Tuesday")
    open_chat(page, live_server_url, conversation_4b)
    expect(page.get_by_text("Swimming starts Tuesday")).to_be_visible()

    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_text("Swimming starts Tuesday")).to_be_visible()
    expect(page.get_by_text("You are offline.")).to_be_visible()
    page.get_by_role("textbox", name="Message").fill("Emma will be late")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".message.pending", has_text="Emma will be late")).to_be_visible()
    assert not conversation_4b.messages.filter(body="Emma will be late").exists()

    page.context.set_offline(False)
    expect(page.locator("#status")).to_have_text("Connected", timeout=20000)
    expect(page.locator(".message.pending")).to_have_count(0)
    expect(page.get_by_text("You are offline.")).to_have_count(0)
    assert conversation_4b.messages.filter(body="Emma will be late").count() == 1

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login/"))
    assert [name for name in cache_names(page) if name.startswith("schoolchat-")] == []
    assert page.evaluate("() => navigator.serviceWorker.getRegistration('/')") is None


def test_a_school_of_shared_devices_keeps_no_offline_copies(
        live_server_url: str, phone: Phone, school: School,  # noqa: F811
        conversation_4b: Conversation, parent: User) -> None:
    school.offline_copies = False
    school.save(update_fields=["offline_copies"])
    page = phone(live_server_url, "parent")
    assert worker_scope(page) == f"{live_server_url}/"
    open_chat(page, live_server_url, conversation_4b)
    assert "schoolchat-pages" not in cache_names(page)
    page.context.set_offline(True)
    page.reload()  # no copy of the conversation: our page says so, not the browser's error
    expect(page.get_by_role("heading", name="Not available offline")).to_be_visible()
    assert "schoolchat-pages" not in cache_names(page)
