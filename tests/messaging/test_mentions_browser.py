"""Two phones (390x844) in English, Dutch and Russian: in the 4B class group, Ms de Vries types
"@" and a few letters, picks Anna Jansen from the list with the keyboard and Chloé Dubois with
a tap ("chlo" finds "Chloé": case and accents do not matter), and sends. Anna muted the group;
her phone shows the message live, marked as mentioning her in words, with both names
highlighted, exactly as after a reload. Escape closes the list without choosing."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from playwright.sync_api import Browser, expect

from accounts.models import Role, School, User
from messaging.actions import membership
from messaging.models import Conversation, Mention, Message
from notifications import actions as notification_actions
from tests.browser.a11y import Audit
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    axe_audit,
    browser,
    live_server_url,
)
from tests.factories import UserFactory
from tests.messaging.test_browser_render import SNAPSHOT
from tests.messaging.test_photo_browser import fits_the_phone, open_chat
from tests.messaging.test_swipe_browser import touch_phone

pytestmark = pytest.mark.browser
WAIT = 15000


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_a_teacher_mentions_two_parents_and_the_muted_one_sees_it_live(
        live_server_url: str, browser: Browser, axe_audit: Audit,  # noqa: F811
        language: str, school: School, conversation_4b: Conversation, teacher: User,
        parent: User, admin: User) -> None:
    for person in (teacher, parent):
        person.language = language
        person.save(update_fields=["language"])
    chloe = UserFactory(username="chloe", display_name="Chloé Dubois", role=Role.PARENT,
                        school=school, email="chloe@example.invalid")
    bram = UserFactory(username="bram", display_name="Bram Bakker", role=Role.PARENT,
                       school=school)
    for member in (chloe, bram):
        membership.add_member(conversation_4b, member, actor=admin)
    notification_actions.mute(parent, conversation_4b)
    with translation.override(language):
        mentions_you = _("Mentions you")

    anna = touch_phone(browser, live_server_url, parent, language)
    open_chat(anna, live_server_url, conversation_4b)
    desk = touch_phone(browser, live_server_url, teacher, language)
    open_chat(desk, live_server_url, conversation_4b)
    box = desk.locator("#id_body")
    listbox = desk.get_by_role("listbox")

    # "@jan": Anna's surname starts with it; the list, not Bram, not the teacher herself.
    box.click()
    desk.keyboard.type("@jan")
    expect(listbox).to_be_visible(timeout=WAIT)
    options = listbox.get_by_role("option")
    expect(options).to_have_text(["Anna Jansen"], timeout=WAIT)
    expect(options.first).to_have_attribute("aria-selected", "true", timeout=WAIT)
    active = options.first.get_attribute("id")
    expect(box).to_have_attribute("aria-activedescendant", active or "", timeout=WAIT)
    axe_audit.check(desk)  # the open list, as a screen reader meets it
    fits_the_phone(desk)
    desk.keyboard.press("ArrowDown")  # one person: the choice stays on her
    desk.keyboard.press("Enter")
    expect(listbox).to_be_hidden(timeout=WAIT)
    expect(box).to_have_value("@Anna Jansen ", timeout=WAIT)
    expect(box).not_to_have_attribute("aria-activedescendant", active or "", timeout=WAIT)

    # Escape closes the list and chooses nothing.
    desk.keyboard.type("@b")
    expect(options).to_have_text(["Bram Bakker"], timeout=WAIT)
    desk.keyboard.press("Escape")
    expect(listbox).to_be_hidden(timeout=WAIT)
    desk.keyboard.press("Backspace")
    desk.keyboard.press("Backspace")

    # "chlo" finds Chloé; a tap chooses her and the keyboard stays in the box.
    desk.keyboard.type("& @CHLO")
    expect(options).to_have_text(["Chloé Dubois"], timeout=WAIT)
    options.first.tap()
    expect(box).to_have_value("@Anna Jansen & @Chloé Dubois ", timeout=WAIT)
    expect(box).to_be_focused(timeout=WAIT)
    desk.keyboard.type("could you bring the cones?")
    desk.keyboard.press("Enter")

    text = "@Anna Jansen & @Chloé Dubois could you bring the cones?"
    live = anna.locator(".message.mentions-me", has_text="bring the cones")
    expect(live).to_have_count(1, timeout=WAIT)
    expect(live.locator(".mentions-you")).to_have_text(mentions_you, timeout=WAIT)
    expect(live.locator(".body .mention")).to_have_text(["@Anna Jansen", "@Chloé Dubois"],
                                                        timeout=WAIT)
    expect(live.locator(".body")).to_have_text(text, timeout=WAIT)
    expect(desk.locator(".message.pending")).to_have_count(0, timeout=WAIT)
    message = Message.objects.get(body=text)
    assert set(Mention.objects.filter(message=message).values_list("user_id", flat=True)) == {
        parent.pk, chloe.pk}
    # The sender's own bubble highlights the names but does not mention her.
    mine = desk.locator(f"#m{message.pk}")
    expect(mine.locator(".body .mention")).to_have_count(2, timeout=WAIT)
    expect(mine).not_to_have_class(re.compile(r"\bmentions-me\b"), timeout=WAIT)
    expect(mine.locator(".mentions-you")).to_have_count(0, timeout=WAIT)

    # Drawn live exactly as the server draws it after a reload.
    before: dict[str, Any] = json.loads(anna.locator(f"#m{message.pk}").evaluate(SNAPSHOT))
    anna.reload()
    expect(anna.locator("#chat[data-subscribed='1']")).to_have_count(1, timeout=WAIT)
    after: dict[str, Any] = json.loads(anna.locator(f"#m{message.pk}").evaluate(SNAPSHOT))
    assert before == after
    for page in (anna, desk):
        fits_the_phone(page)
