"""A parent on a phone sees the school's moderation: a message removed while the page is open
turns into "Removed by the school", and a restriction shows the composer off with the reason.
Uses the shared live daphne server and Chromium fixtures of tests/browser/conftest.py; axe
audits every page."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import ViewportSize, expect

from accounts.models import User
from messaging.actions import moderation
from messaging.actions import send as send_actions
from messaging.models import Conversation
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    live_servers,
    login,
)
from tests.messaging.moderation import lead

pytestmark = pytest.mark.browser
__all__ = ["lead"]  # fixture

PHONE: ViewportSize = {"width": 360, "height": 740}


def test_a_removal_replaces_the_message_on_an_open_page(
        live_server_url: str, login: Login, conversation_4b: Conversation,  # noqa: F811
        teacher: User, parent: User, lead: User) -> None:
    unkind, _ = send_actions.post_message(teacher, conversation_4b, "Something unkind")
    page = login(live_server_url, "parent", viewport=PHONE)
    page.goto(f"{live_server_url}/c/{conversation_4b.pk}/")
    expect(page.locator("#chat")).to_have_attribute("data-subscribed", "1")
    message = page.locator(f"#m{unkind.pk}")
    expect(message).to_contain_text("Something unkind")
    moderation.remove_message(by=lead, message=unkind, reason="Unkind")
    expect(message.locator(".body.gone")).to_have_text("Removed by the school")
    expect(message).not_to_contain_text("Something unkind")
    page.reload()
    expect(page.locator(f"#m{unkind.pk} .body.gone")).to_have_text("Removed by the school")


def test_a_restricted_parent_sees_the_composer_off_with_the_reason(
        live_server_url: str, login: Login, conversation_4b: Conversation,  # noqa: F811
        parent: User, lead: User) -> None:
    moderation.restrict_member(by=lead, user=parent, until=timezone.now() + timedelta(days=2),
                               reason="Threats")
    page = login(live_server_url, "parent", viewport=PHONE)
    page.goto(f"{live_server_url}/c/{conversation_4b.pk}/")
    expect(page.locator("#composer")).to_have_count(0)
    expect(page.locator("#id_body_restricted")).to_be_disabled()
    expect(page.locator("#restricted-text")).to_contain_text(
        "You can read but not send messages until")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
