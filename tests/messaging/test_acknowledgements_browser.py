"""A teacher on a phone reads who has acknowledged, family by family, and reminds the rest.
Uses the shared live daphne server and Chromium fixtures of tests/browser/conftest.py."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Role, School, SchoolClass, User
from messaging.actions import membership, receipts
from messaging.actions import send as send_actions
from messaging.models import AcknowledgementReminder, Conversation
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    live_servers,
    login,
)
from tests.factories import PupilFactory, UserFactory, enrol

pytestmark = pytest.mark.browser


def test_a_teacher_on_a_phone_reads_the_families_and_reminds_the_rest(
        live_server_url: str, login: Login, school: School, class_4b: SchoolClass,  # noqa: F811
        conversation_4b: Conversation, teacher: User, parent: User, admin: User) -> None:
    sara = UserFactory(username="sara", display_name="Sara Smit", role=Role.PARENT, school=school)
    enrol(PupilFactory(school=school, first_name="Liam", last_name="Smit"), class_4b, sara)
    membership.add_member(conversation_4b, sara, actor=admin)
    notice, _ = send_actions.post_message(teacher, conversation_4b, "Sign the trip form",
                                          ack_requested=True)
    receipts.acknowledge(parent, notice)

    page = login(live_server_url, "teacher", viewport={"width": 360, "height": 740})
    page.goto(f"{live_server_url}/c/{conversation_4b.pk}/")
    message = page.locator(f"#m{notice.pk}")
    # The message says how many families have acknowledged; that is the link to the list.
    count = message.get_by_role("link", name="1 of 2 families")
    expect(count).to_be_visible()
    count.click()
    expect(page.locator("#family-count")).to_have_text("1 of 2 families acknowledged")
    expect(page.locator("#pending li")).to_have_count(1)
    expect(page.locator("#pending")).to_contain_text("Liam Smit")
    expect(page.locator("#pending")).to_contain_text("Sara Smit")
    done = page.locator("#acknowledged li")
    expect(done).to_have_count(1)
    expect(done).to_contain_text("Emma")
    expect(done).to_contain_text("Anna Jansen")
    expect(page.locator("#pending")).not_to_contain_text("Ms de Vries")
    # Nothing wider than the phone; the button is a full-width, finger-sized target.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    button = page.get_by_role("button", name="Remind those who have not")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 270

    mail.outbox = []
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_have_text("A reminder went to 1 guardian.")
    expect(page.get_by_role("button", name="Remind those who have not")).to_be_disabled()
    expect(page.locator("#remind-note")).to_contain_text("The next one can go tomorrow.")
    assert AcknowledgementReminder.objects.get(message=notice).recipients == 1
