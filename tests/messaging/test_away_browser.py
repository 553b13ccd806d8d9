"""A parent writing to a teacher outside office hours reads, live on the chat page, when the
message will be read, as a sentence of their own language: "on Wednesday at 08:00", "op
woensdag om 08:00", "в среду в 08:00" (the day in the accusative, as Russian says it)."""

from __future__ import annotations

from datetime import time

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from playwright.sync_api import expect

from accounts.models import User
from messaging.actions import direct
from messaging.actions import hours as hours_actions
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    login,
)

pytestmark = pytest.mark.browser

DAYS = {
    "en": ["on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "on Saturday",
           "on Sunday"],
    "nl": ["op maandag", "op dinsdag", "op woensdag", "op donderdag", "op vrijdag",
           "op zaterdag", "op zondag"],
    "ru": ["в понедельник", "во вторник", "в среду", "в четверг", "в пятницу", "в субботу",
           "в воскресенье"],
}
AT = {"en": "at 08:00.", "nl": "om 08:00.", "ru": "в 08:00."}


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_the_away_notice_names_the_day_as_the_language_does(
        live_server_url: str, login: Login,  # noqa: F811
        teacher: User, parent: User, language: str) -> None:
    conversation = direct.open_direct(parent, teacher)
    day = (timezone.localtime().weekday() + 2) % 7  # neither today nor tomorrow
    hours_actions.set_office_hours(teacher, {day: (time(8), time(9))})
    User.objects.filter(pk=parent.pk).update(language=language)
    with translation.override(language):
        label, button = _("Message"), _("Send")

    page = login(live_server_url, "parent", viewport={"width": 390, "height": 844})
    page.goto(f"{live_server_url}/c/{conversation.pk}/")
    expect(page.locator("#chat[data-subscribed='1']")).to_have_count(1)
    page.get_by_role("textbox", name=label).fill("Can we talk about Emma?")
    page.get_by_role("button", name=button, exact=True).click()
    notice = page.locator(".notice.away")
    expect(notice).to_contain_text(f"{DAYS[language][day]} {AT[language]}")
