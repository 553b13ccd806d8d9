"""On a phone: a sensitive message is behind a tap ("Sensitive: health — tap to show"), live
and after a reload, drawn the same both ways, also when it is marked after it was read; and a
parent's web address in a group with pupils is text while a teacher's is a link, live as
after a reload. Uses the shared live daphne server and Chromium fixtures of
tests/browser/conftest.py; axe audits every page."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from accounts.models import User
from messaging.actions import membership, sensitive
from messaging.models import Conversation, Message
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    live_servers,
    login,
)
from tests.messaging.policy import policy_world
from tests.messaging.test_browser_render import SNAPSHOT

pytestmark = pytest.mark.browser
__all__ = ["policy_world"]  # fixture

PHONE: ViewportSize = {"width": 360, "height": 740}


def open_chat(page: Page, base_url: str, conversation: Conversation) -> None:
    page.goto(f"{base_url}/c/{conversation.pk}/")
    expect(page.locator("#chat[data-subscribed='1']")).to_have_count(1)


def snapshot(page: Page, message_id: int) -> Any:
    node = page.locator(f"#m{message_id}")
    expect(node).to_have_count(1)
    return json.loads(node.evaluate(SNAPSHOT))


def send_from_composer(page: Page, text: str, *, category: str = "") -> None:
    if category:
        page.locator("#composer-more > summary").click()
        page.get_by_label("Sensitive", exact=True).select_option(category)
    page.get_by_role("textbox", name="Message").fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def test_a_sensitive_message_is_behind_a_tap_live_and_after_a_reload(
        live_server_url: str, login: Login, conversation_4b: Conversation,  # noqa: F811
        teacher: User, parent: User) -> None:
    teachers = login(live_server_url, "teacher", viewport=PHONE)
    parents = login(live_server_url, "parent", viewport=PHONE)
    for page in (teachers, parents):
        open_chat(page, live_server_url, conversation_4b)
    send_from_composer(teachers, "Emma's allergy plan is in her bag", category="health")

    toggle = parents.locator(".message details.sensitive > summary")
    expect(toggle).to_have_text("Sensitive: health — tap to show")
    body = parents.locator(".message details.sensitive .body")
    expect(body).to_be_hidden()
    message = Message.objects.get(sender=teacher)
    assert message.sensitive == "health"
    live = snapshot(parents, message.pk)
    toggle.click()
    expect(body).to_be_visible()
    expect(body).to_have_text("Emma's allergy plan is in her bag")
    assert parents.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    toggle.click()
    parents.reload()
    expect(parents.locator("#chat[data-subscribed='1']")).to_have_count(1)
    assert snapshot(parents, message.pk) == live
    expect(parents.locator(f"#m{message.pk} .body")).to_be_hidden()
    # The keyboard opens it too.
    parents.locator(f"#m{message.pk} details.sensitive > summary").focus()
    parents.keyboard.press("Enter")
    expect(parents.locator(f"#m{message.pk} .body")).to_be_visible()


def test_marked_after_it_was_read_it_goes_behind_a_tap_on_the_open_page(
        live_server_url: str, login: Login, conversation_4b: Conversation,  # noqa: F811
        teacher: User, parent: User) -> None:
    parents = login(live_server_url, "parent", viewport=PHONE)
    open_chat(parents, live_server_url, conversation_4b)
    teachers = login(live_server_url, "teacher", viewport=PHONE)
    open_chat(teachers, live_server_url, conversation_4b)
    send_from_composer(teachers, "About the family situation at home")
    expect(parents.locator(".message .body", has_text="family situation")).to_be_visible()
    message = Message.objects.get(sender=teacher)
    sensitive.mark_sensitive(teacher, message, "family")
    expect(parents.locator(f"#m{message.pk} details.sensitive > summary")).to_have_text(
        "Sensitive: family — tap to show")
    expect(parents.locator(f"#m{message.pk} .body")).to_be_hidden()
    live = snapshot(parents, message.pk)
    parents.reload()
    expect(parents.locator("#chat[data-subscribed='1']")).to_have_count(1)
    assert snapshot(parents, message.pk) == live


def test_links_where_pupils_read_are_text_unless_staff_posted_them(
        live_server_url: str, login: Login,  # noqa: F811
        policy_world: dict[str, Any]) -> None:
    world = policy_world
    club = Conversation.objects.create(school=world["school"], kind=Conversation.Kind.GROUP,
                                       title="Chess club")
    membership.add_member(club, world["teacher"], actor=world["admin"], manager=True)
    for name in ("parent", "pupil"):
        membership.add_member(club, world[name], actor=world["admin"])
    pupils = login(live_server_url, "pupil", viewport=PHONE)
    open_chat(pupils, live_server_url, club)
    parents = login(live_server_url, "parent", viewport=PHONE)
    open_chat(parents, live_server_url, club)
    send_from_composer(parents, "Party at https://example.org/party")
    teachers = login(live_server_url, "teacher", viewport=PHONE)
    open_chat(teachers, live_server_url, club)
    send_from_composer(teachers, "Rules: https://example.org/rules")

    from_parent = pupils.locator(".message .body", has_text="Party at")
    from_teacher = pupils.locator(".message .body", has_text="Rules:")
    expect(from_parent).to_have_text("Party at https://example.org/party")
    expect(from_parent.locator("a")).to_have_count(0)
    expect(from_teacher.locator("a")).to_have_attribute("href", "https://example.org/rules")
    ids = [m.pk for m in Message.objects.filter(conversation=club).order_by("seq")]
    live = [snapshot(pupils, pk) for pk in ids]
    pupils.reload()
    expect(pupils.locator("#chat[data-subscribed='1']")).to_have_count(1)
    assert [snapshot(pupils, pk) for pk in ids] == live


def test_the_inbox_never_previews_a_sensitive_message(
        live_server_url: str, login: Login, conversation_4b: Conversation,  # noqa: F811
        teacher: User, parent: User) -> None:
    inbox = login(live_server_url, "parent", viewport=PHONE)
    inbox.goto(f"{live_server_url}/")
    expect(inbox.locator("[data-subscribed='1']")).to_have_count(1)
    teachers = login(live_server_url, "teacher", viewport=PHONE)
    open_chat(teachers, live_server_url, conversation_4b)
    send_from_composer(teachers, "Emma's allergy plan is in her bag", category="health")
    row = inbox.locator(f"li[data-conversation='{conversation_4b.pk}'] .last")
    expect(row).to_contain_text("A sensitive message (health)")
    expect(row).not_to_contain_text("allergy")
    inbox.reload()
    expect(row).to_contain_text("A sensitive message (health)")
    expect(row).not_to_contain_text("allergy")
