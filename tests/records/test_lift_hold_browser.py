"""The DPO lifts a legal hold on a phone (390 x 844) in English, Dutch and Russian: the hold's
own page names it and says how many messages retention may delete again, the reason is
required, and the history shows it. axe audits every page (tests/browser/a11y.py)."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from playwright.sync_api import expect

from accounts.models import User
from archive.models import LegalHold
from messaging.actions import send
from messaging.models import Conversation
from records import actions
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    login,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_the_dpo_lifts_a_hold_after_confirming_on_a_phone(
        live_server_url: str, login: Login,  # noqa: F811
        conversation_4b: Conversation, teacher: User, dpo: User, language: str) -> None:
    base = live_server_url
    for text in ("Swimming on Monday", "Bring a towel"):
        send.post_message(teacher, conversation_4b, text)
    hold = actions.place_hold(dpo, conversation_4b, "Complaint about the trip")
    User.objects.filter(pk=dpo.pk).update(language=language)
    with translation.override(language):
        lift_link = _("Lift the hold…")
        lift = _("Lift the hold")
        reason = _("Reason for lifting")
        refused = _("Give the reason for lifting the hold.")
        lifted = _("The legal hold is lifted.")
        heading = _("Lift the legal hold on %(target)s?") % {"target": conversation_4b.name}

    page = login(base, "dpo", viewport={"width": 390, "height": 844})
    page.goto(f"{base}/archive/holds/")
    page.get_by_role("link", name=lift_link).click()
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.locator(".freed")).to_contain_text("2")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide"
    # The browser's own check stops an empty reason; a blank one reaches the server.
    page.get_by_label(reason).fill("   ")
    page.get_by_role("button", name=lift).click()
    expect(page.get_by_text(refused).first).to_be_visible()
    assert LegalHold.objects.get(pk=hold.pk).lifted_at is None
    page.get_by_label(reason).fill("Complaint settled")
    page.get_by_role("button", name=lift).click()
    expect(page.get_by_text(lifted)).to_be_visible()
    expect(page.get_by_text("Complaint settled")).to_be_visible()
    assert LegalHold.objects.get(pk=hold.pk).lift_reason == "Complaint settled"
