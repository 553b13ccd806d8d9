"""The lead's queue on a phone (390 x 844) in English, Dutch and Russian: a message reported
twice and flagged once is one item, with its reports and flag inside it; the queue's socket
connects; the lead restricts the sender and can still remove the message. axe audits every
page (tests/browser/a11y.py)."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from playwright.sync_api import expect

from accounts.models import User
from messaging.actions import membership, send
from messaging.models import Conversation
from safeguarding import actions
from safeguarding.models import Flag, Report, State
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    login,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_one_message_is_one_item_and_stays_removable_after_a_restriction(
        live_server_url: str, login: Login,  # noqa: F811
        conversation_4b: Conversation, teacher: User, parent: User, parent_5a: User,
        admin: User, lead: User, language: str) -> None:
    base = live_server_url
    actions.seed_school(conversation_4b.school)
    membership.add_member(conversation_4b, parent_5a, actor=admin)
    message, _sent = send.post_message(parent, conversation_4b, "I want to die, nobody likes you")
    actions.report_message(teacher, message, reason="bullying")
    actions.report_message(parent_5a, message, reason="worry", note="Please look")
    assert Flag.objects.filter(message=message).exists()
    User.objects.filter(pk=lead.pk).update(language=language)
    with translation.override(language):
        two_reports = ngettext("%(counter)s report", "%(counter)s reports", 2) % {"counter": 2}
        review = _("Review")
        restrict = _("Restrict")
        remove = _("Remove the message")
        removed = _("The message is removed.")

    page = login(base, "lead", viewport={"width": 390, "height": 844})
    page.goto(f"{base}/safeguarding/")
    expect(page.locator("#queue[data-live='1']")).to_be_attached()
    items = page.locator(".queue-item")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text(two_reports)
    expect(items.first).to_contain_text("Please look")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide"

    items.first.get_by_role("link", name=review).click()
    page.locator(".restrict-form select").select_option("week")
    page.locator(".restrict-form textarea, .restrict-form input[type=text]").first.fill("Repeated")
    page.get_by_role("button", name=restrict).click()
    expect(page.get_by_role("button", name=remove)).to_be_visible()
    page.locator(".remove-form textarea, .remove-form input[type=text]").first.fill("Bullying")
    page.get_by_role("button", name=remove).click()
    expect(page.get_by_text(removed)).to_be_visible()
    assert set(Report.objects.filter(message=message).values_list("state", flat=True)) == {
        State.ACTIONED}
