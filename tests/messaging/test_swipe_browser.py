"""On a touch phone (390x844) in English, Dutch and Russian: a swipe to the right on a message
replies to it (the composer says to whom, and the reply is stored as one); a short or vertical
swipe does nothing; after acknowledging from the keyboard the focus stays on the message
instead of falling back to the top of the page."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from messaging.actions import send as send_actions
from messaging.models import Acknowledgement, Conversation, Message
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    axe_audit,
    browser,
    live_server_url,
)
from tests.factories import PASSWORD
from tests.messaging.test_photo_browser import BROWSER_LOCALE, fits_the_phone, open_chat

pytestmark = pytest.mark.browser


def touch_phone(browser: Browser, base: str, user: User, language: str) -> Page:  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True,
                                  is_mobile=True, locale=BROWSER_LOCALE[language])
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


def swipe(page: Page, selector: str, dx: float, dy: float = 0) -> None:
    """A finger put on the element, moved by (dx, dy) in steps, and lifted."""
    box = page.locator(selector).bounding_box()
    assert box is not None
    x, y = box["x"] + 40, box["y"] + box["height"] / 2
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 9):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [
            {"x": x + dx * step / 8, "y": y + dy * step / 8}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_a_swipe_replies_and_acknowledging_keeps_the_focus_on_the_message(
        live_server_url: str, browser: Browser, language: str,  # noqa: F811
        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    parent.language = language
    parent.save(update_fields=["language"])
    with translation.override(language):
        replying = _("Replying to %(name)s") % {"name": teacher.public_name}
    trip, _created = send_actions.post_message(teacher, conversation_4b, "Trip on Friday")
    form, _created = send_actions.post_message(teacher, conversation_4b, "Sign the trip form",
                                               ack_requested=True)
    page = touch_phone(browser, live_server_url, parent, language)
    open_chat(page, live_server_url, conversation_4b)

    swipe(page, f"#m{trip.pk}", dx=20)          # too short
    swipe(page, f"#m{trip.pk}", dx=10, dy=120)  # scrolling, not swiping
    expect(page.locator("#replying")).to_be_hidden(timeout=15000)
    swipe(page, f"#m{trip.pk}", dx=120)
    expect(page.locator("#replying-text")).to_have_text(replying, timeout=15000)
    expect(page.locator("#id_body")).to_be_focused(timeout=15000)
    page.locator("#id_body").fill("Emma is coming")
    page.locator("#composer > button.primary").click()
    expect(page.locator(".message.mine .quote", has_text="Trip on Friday")).to_have_count(1, timeout=15000)
    expect(page.locator(".message.pending")).to_have_count(0, timeout=15000)
    assert Message.objects.get(body="Emma is coming").reply_to_id == trip.pk
    fits_the_phone(page)

    page.locator(f"#m{form.pk} button.ack").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#m{form.pk} .acked-note")).to_be_visible(timeout=15000)
    # Waited for, not read at one moment: the note shows before the script moves the focus.
    expect(page.locator(f"#m{form.pk}")).to_be_focused(timeout=15000)
    page.reload()  # stored: the server says so too
    expect(page.locator(f"#m{form.pk} .acked-note")).to_be_visible(timeout=15000)
    assert Acknowledgement.objects.filter(user=parent, message=form).exists()
