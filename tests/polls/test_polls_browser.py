"""A teacher asks 4B a poll from her phone; a parent answers on the message's card and the
teacher's open chat shows the result without a reload, in English, Dutch and Russian."""

from __future__ import annotations

import pytest
from playwright.sync_api import ViewportSize, expect

from accounts.models import User
from messaging.models import Conversation
from polls.models import Ballot, Poll
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    login,
)

pytestmark = pytest.mark.browser
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_a_parent_answers_on_the_card_and_the_teacher_sees_it_live(
        live_server_url: str, login: Login, teacher: User, parent: User,  # noqa: F811
        conversation_4b: Conversation, language: str) -> None:
    User.objects.filter(pk__in=[teacher.pk, parent.pk]).update(language=language)
    staff = login(live_server_url, "teacher", viewport=PHONE)
    staff.goto(f"{live_server_url}/c/{conversation_4b.pk}/polls/new")
    staff.locator("[name=question]").fill("Which afternoon suits the class party?")
    staff.locator("[name=option_1]").fill("Wednesday")
    staff.locator("[name=option_2]").fill("Friday")
    staff.locator("form.poll-form button[type=submit]").click()
    card = staff.locator(".poll-card")
    expect(card).to_be_visible()
    expect(card.locator(".poll-question")).to_have_text("Which afternoon suits the class party?")
    assert staff.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    poll = Poll.objects.get()

    family = login(live_server_url, "parent", viewport=PHONE)
    family.goto(f"{live_server_url}/c/{conversation_4b.pk}/")
    theirs = family.locator(".poll-card")
    theirs.get_by_label("Friday").check()
    theirs.locator("form.poll-vote button[type=submit]").click()
    # The answer shows on the card the parent is looking at, with the results after it.
    expect(theirs.locator(".poll-mine strong")).to_have_text("Friday")
    expect(theirs.locator(".poll-votes").nth(1)).to_have_text("1")
    assert family.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The teacher's open chat follows without a reload.
    expect(card.locator(".poll-votes").nth(1)).to_have_text("1")
    expect(card.locator(".poll-votes").nth(0)).to_have_text("0")
    assert Ballot.objects.get(poll=poll).voter == parent
