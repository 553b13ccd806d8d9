"""Two phones (390x844, touch) in English, Dutch and Russian: Anna reacts 👍 to her teacher's
message; the teacher's phone shows the count without a reload, drawn as a reload draws it;
tapping the count shows Anna's name; Anna taps her chip again and the reaction goes from both
phones. Nothing is wider than the phone, and axe finds nothing on any page they open
(tests/browser/conftest.py)."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from messaging.actions import send as send_actions
from messaging.models import Conversation, Reaction
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    axe_audit,
    browser,
    live_server_url,
)
from tests.messaging.test_browser_render import SNAPSHOT
from tests.messaging.test_photo_browser import fits_the_phone, open_chat
from tests.messaging.test_swipe_browser import touch_phone

pytestmark = pytest.mark.browser
WAIT = 15000  # ms: the machine may be busy
# What a reaction changes on a message: its chips, and the pickers' pressed emoji and the
# menu's "Who reacted" (the rest of the message is compared in test_browser_render.py).
PARTS = (".reactions", "details.react", ".action-list .react-form", ".action-list .who-reacted")


def drawn(page: Page, message_id: int) -> list[str]:
    return [page.locator(f"#m{message_id} {part}").evaluate(SNAPSHOT) for part in PARTS]


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_a_reaction_shows_live_on_the_other_phone_names_its_reactor_and_goes_when_taken_back(
        live_server_url: str, browser: Browser, language: str,  # noqa: F811
        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    for person in (teacher, parent):
        person.language = language
        person.save(update_fields=["language"])
    with translation.override(language):
        thumbs_up, who_reacted = _("Thumbs up"), _("Who reacted")
    trip, _created = send_actions.post_message(teacher, conversation_4b, "The trip is on Friday")
    anna = touch_phone(browser, live_server_url, parent, language)
    juf = touch_phone(browser, live_server_url, teacher, language)
    for phone in (anna, juf):
        open_chat(phone, live_server_url, conversation_4b)
    on_annas = anna.locator(f"#m{trip.pk}")
    on_jufs = juf.locator(f"#m{trip.pk}")
    expect(on_jufs.locator(".reactions")).to_be_hidden(timeout=WAIT)

    # Anna opens the smiley on the message itself and taps 👍.
    on_annas.locator("details.react > summary").tap()
    picker = on_annas.locator("details.react .react-choices")
    expect(picker).to_be_visible(timeout=WAIT)
    fits_the_phone(anna)
    picker.locator("button[value='👍']").tap()
    expect(on_annas.locator("details.react")).not_to_have_attribute("open", "", timeout=WAIT)
    mine = on_annas.locator(".reactions .chip[data-emoji='👍']")
    expect(mine.locator("button")).to_have_attribute("aria-pressed", "true", timeout=WAIT)
    expect(mine.locator("button")).to_have_attribute("aria-label", thumbs_up)
    expect(mine.locator(".n")).to_have_text("1", timeout=WAIT)

    # The teacher's phone, not reloaded: the count, not pressed (it is Anna's).
    theirs = on_jufs.locator(".reactions .chip[data-emoji='👍']")
    expect(theirs.locator(".n")).to_have_text("1", timeout=WAIT)
    expect(theirs.locator("button")).to_have_attribute("aria-pressed", "false", timeout=WAIT)
    assert Reaction.objects.get(message=trip).user_id == parent.pk
    for phone in (anna, juf):
        fits_the_phone(phone)
    # Drawn live as the server draws it after a reload, on both phones.
    live = {phone: drawn(phone, trip.pk) for phone in (anna, juf)}
    for phone in (anna, juf):
        phone.reload()
        expect(phone.locator("#chat[data-subscribed='1']")).to_have_count(1, timeout=WAIT)
        assert drawn(phone, trip.pk) == live[phone]

    # Tapping the count shows who reacted: Anna, under 👍.
    theirs.locator("a.count").tap()
    expect(juf.locator("h1")).to_have_text(who_reacted, timeout=WAIT)
    group = juf.locator("section.reacted", has_text=thumbs_up)
    expect(group.locator("h2")).to_contain_text(f"{thumbs_up} (1)", timeout=WAIT)
    expect(group.locator("li")).to_have_count(1, timeout=WAIT)
    expect(group.locator("li")).to_contain_text("Anna Jansen")
    fits_the_phone(juf)
    juf.locator("a.back").tap()
    expect(juf.locator("#chat[data-subscribed='1']")).to_have_count(1, timeout=WAIT)
    expect(theirs.locator(".n")).to_have_text("1", timeout=WAIT)

    # Anna taps her chip again: taken back, on both phones.
    mine.locator("button").tap()
    for message in (on_annas, on_jufs):
        expect(message.locator(".reactions")).to_be_hidden(timeout=WAIT)
        expect(message.locator(".reactions .chip")).to_have_count(0, timeout=WAIT)
    expect(on_annas.locator(".react-choices button[aria-pressed='true']")).to_have_count(
        0, timeout=WAIT)
    assert not Reaction.objects.filter(message=trip).exists()
    for phone in (anna, juf):
        fits_the_phone(phone)
