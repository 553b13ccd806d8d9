"""The installed app without a network, on a 390x844 phone in English, Dutch and Russian: it
opens on the last inbox, marks the conversations this device kept, opens the last conversation,
shows our own page (never the browser's error page) for a conversation it did not keep, and
sends a message typed offline exactly once when the network is back."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from playwright.sync_api import Page, ViewportSize, expect

from accounts.models import User
from messaging.models import Conversation
from tests.browser.a11y import Audit
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    CHROMIUM,
    CHROMIUM_ARGS,
    axe_audit,
    live_server_url,
)
from tests.factories import PASSWORD
from tests.notifications.conftest import post_and_publish
from tests.notifications.test_browser import worker_scope

pytestmark = pytest.mark.browser
PHONE: ViewportSize = {"width": 390, "height": 844}
BROWSER_LOCALE = {"en": "en-GB", "nl": "nl-NL", "ru": "ru-RU"}
Phone = Callable[[str, User], Page]


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
              axe_audit: Audit, language: str) -> Iterator[Phone]:  # noqa: F811
    """installed(base_url, user) -> a signed-in page in a browser profile of its own on disk
    (Chromium keeps no service worker for an incognito context), in ``language``."""
    if not shutil.which(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tmp_path / "profile", executable_path=CHROMIUM, args=CHROMIUM_ARGS, viewport=PHONE,
            is_mobile=True, has_touch=True, locale=BROWSER_LOCALE[language])
        axe_audit.watch(context)

        def _installed(base_url: str, user: User) -> Page:
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(f"{base_url}/login/")
            page.locator("#id_username").fill(user.username)
            page.locator("#id_password").fill(PASSWORD)
            page.locator("main form button[type=submit]").click()
            page.wait_for_url(f"{base_url}/")
            return page

        yield _installed
        axe_audit.finish(context)
        context.close()


def open_chat(page: Page, base_url: str, conversation: Conversation) -> None:
    page.goto(f"{base_url}/c/{conversation.pk}/")
    expect(page.locator("#chat[data-subscribed='1']")).to_have_count(1)


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_the_installed_app_opens_offline_on_the_last_inbox_and_sends_once_on_reconnect(
        live_server_url: str, installed: Phone, language: str,  # noqa: F811
        conversation_4b: Conversation, announcements: Conversation,
        teacher: User, parent: User) -> None:
    parent.language = language
    parent.save(update_fields=["language"])
    with translation.override(language):
        kept_mark, offline_title = _("Readable offline"), _("Not available offline")
        back = _("Back to the conversations")
    post_and_publish(teacher, announcements, "The school photographer comes on Friday")
    post_and_publish(teacher, conversation_4b, "Swimming starts Tuesday")
    page = installed(live_server_url, parent)
    assert worker_scope(page) == f"{live_server_url}/"
    page.goto(f"{live_server_url}/")  # now through the worker, which keeps the inbox
    open_chat(page, live_server_url, conversation_4b)
    expect(page.get_by_text("Swimming starts Tuesday")).to_be_visible()
    page.goto(f"{live_server_url}/")
    expect(page.locator(f"#conversation-list li[data-conversation='{announcements.pk}']"))\
        .to_contain_text("The school photographer")

    # The app is started again (its start URL) with the network off.
    page.context.set_offline(True)
    page.goto(f"{live_server_url}/")
    kept = page.locator(f"#conversation-list li[data-conversation='{conversation_4b.pk}']")
    other = page.locator(f"#conversation-list li[data-conversation='{announcements.pk}']")
    expect(kept).to_contain_text("Swimming starts Tuesday")
    expect(kept.locator(".kept-offline")).to_have_text(kept_mark)
    expect(other).to_contain_text("The school photographer")
    expect(other.locator(".kept-offline")).to_have_count(0)
    fits_the_phone(page)

    other.locator("a").click()
    expect(page.get_by_role("heading", name=offline_title)).to_be_visible()
    fits_the_phone(page)
    page.get_by_role("link", name=back).click()
    kept.locator("a").click()
    expect(page.get_by_text("Swimming starts Tuesday")).to_be_visible()
    fits_the_phone(page)
    page.locator("#id_body").fill("Emma will be late")
    page.locator("#composer > button.primary").click()
    expect(page.locator(".message.pending", has_text="Emma will be late")).to_be_visible()
    assert not conversation_4b.messages.filter(body="Emma will be late").exists()

    page.context.set_offline(False)
    expect(page.locator("#chat[data-subscribed='1']")).to_have_count(1, timeout=20000)
    expect(page.locator(".message.pending")).to_have_count(0)
    expect(page.locator(".message .body", has_text="Emma will be late")).to_have_count(1)
    assert conversation_4b.messages.filter(body="Emma will be late").count() == 1
    page.reload()  # nothing is left in the outbox to go a second time
    expect(page.locator("#chat[data-subscribed='1']")).to_have_count(1)
    expect(page.locator(".message .body", has_text="Emma will be late")).to_have_count(1)
    assert conversation_4b.messages.filter(body="Emma will be late").count() == 1
