"""The parent's phone: muting from the conversation page, installing the site as an app, and
reading the last conversation offline. Uses the live daphne server and Chromium fixtures of
tests/browser/conftest.py."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from notifications.models import Mute
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    browser,
    live_server_url,
    login,
)

pytestmark = pytest.mark.browser


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
