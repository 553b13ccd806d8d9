"""Two families of 4B on their phones (390 x 844) in English, Dutch and Russian: one books a time,
and it disappears from the other's open round page without a reload; the one who booked sees it
among their meetings. axe audits every page (tests/browser/a11y.py) and no page is wider than
the screen."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from playwright.sync_api import Page, ViewportSize, expect

from accounts.models import SchoolClass, User
from meetings.actions.rounds import publish_round
from meetings.queries import free_slots
from messaging.models import Conversation
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    login,
)
from tests.meetings.conftest import plan_for

pytestmark = pytest.mark.browser
PHONE: ViewportSize = {"width": 390, "height": 844}


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide"


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_a_time_one_family_books_disappears_from_the_other_familys_open_page(
        live_server_url: str, login: Login,  # noqa: F811
        conversation_4b: Conversation, teacher: User, parent: User, parent2: User,
        class_4b: SchoolClass, language: str) -> None:
    base = live_server_url
    round_ = publish_round(teacher, plan_for([class_4b]))
    slot = free_slots(round_).filter(teacher=teacher).first()
    assert slot is not None
    User.objects.filter(pk__in=[parent.pk, parent2.pk]).update(language=language)
    with translation.override(language):
        your_meetings = _("Your meetings")

    watching = login(base, "parent2", viewport=PHONE)
    watching.goto(f"{base}/meetings/{round_.pk}/")
    expect(watching.locator("#round[data-live='1']")).to_be_attached()
    time_button = watching.locator(f"button[data-slot='{slot.pk}']")
    expect(time_button).to_be_visible()
    _fits(watching)

    booking = login(base, "parent", viewport=PHONE)
    booking.goto(f"{base}/meetings/{round_.pk}/")
    expect(booking.get_by_role("heading", name=your_meetings)).to_be_visible()
    _fits(booking)
    booking.locator(f"button[data-slot='{slot.pk}']").click()
    expect(booking.locator(".booking")).to_have_count(1)
    expect(booking.locator(f"button[data-slot='{slot.pk}']")).to_have_count(0)
    _fits(booking)

    # The other family's page, open all along, loses the time (waits up to 2 s, no reload).
    expect(time_button).to_have_count(0, timeout=2000)
    _fits(watching)
