"""On phones, in English, Dutch and Russian: a parent signs the zoo trip's permission slip on
the card in the class group, and the teacher's list, open on another phone, shows it without a
reload; the parent withdraws it, and the list shows that too. Every page is checked by axe and
none is wider than the screen. Uses the shared live daphne server and Chromium fixtures of
tests/browser/conftest.py."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from accounts.models import Pupil, User
from activities.models import Activity
from messaging.models import Conversation, Message
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    live_servers,
    login,
)

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 844}
# The teacher's list says within this long what a parent did on the card (the bound).
LIVE_MS = 2000
WORDS = {
    "en": {"sign": "Sign the permission slip", "withdraw": "Withdraw the permission for Emma",
           "signed": "Slip signed", "withdrawn": "Slip withdrawn",
           "card_signed": "Permission slip: signed.", "card_withdrawn": "Permission slip: withdrawn."},
    "nl": {"sign": "Teken het toestemmingsformulier", "withdraw": "Trek de toestemming voor Emma in",
           "signed": "Toestemming getekend", "withdrawn": "Toestemming ingetrokken",
           "card_signed": "Toestemming: getekend.", "card_withdrawn": "Toestemming: ingetrokken."},
    "ru": {"sign": "Подписать разрешение", "withdraw": "Отозвать разрешение для Emma",
           "signed": "Разрешение подписано", "withdrawn": "Разрешение отозвано",
           "card_signed": "Разрешение: подписано.", "card_withdrawn": "Разрешение: отозвано."},
}


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_a_parent_signs_on_the_card_and_the_teachers_list_follows(
        live_server_url: str, login: Login, trip: Activity, emma: Pupil,  # noqa: F811
        teacher: User, parent: User, conversation_4b: Conversation, language: str) -> None:
    words = WORDS[language]
    User.objects.filter(pk__in=[teacher.pk, parent.pk]).update(language=language)
    card = Message.objects.get(card=f"activity:{trip.pk}")

    staff = login(live_server_url, "teacher", viewport=PHONE)
    staff.goto(f"{live_server_url}/activities/{trip.pk}/")
    expect(staff.locator("html")).to_have_attribute("lang", language)
    expect(staff.locator("#activity")).to_have_attribute("data-live", "1")
    row = staff.locator(f'#activity-list li[data-pupil="{emma.pk}"]')
    expect(row).not_to_contain_text(words["signed"])
    _fits(staff)

    family = login(live_server_url, "parent", viewport=PHONE)
    family.goto(f"{live_server_url}/c/{conversation_4b.pk}/")
    on_card = family.locator(f"#m{card.pk} .message-card")
    expect(on_card).to_contain_text("Trip to the zoo")
    _fits(family)
    on_card.get_by_role("button", name=words["sign"]).click()
    expect(on_card).to_contain_text(words["card_signed"])
    expect(row).to_contain_text(words["signed"], timeout=LIVE_MS)

    on_card.get_by_role("button", name=words["withdraw"]).click()
    expect(on_card).to_contain_text(words["card_withdrawn"])
    expect(row).to_contain_text(words["withdrawn"], timeout=LIVE_MS)
    _fits(family)
    _fits(staff)

    staff.goto(f"{live_server_url}/activities/{trip.pk}/trip")
    expect(staff.locator(".trip-list")).not_to_contain_text("Emma")
    _fits(staff)
    # The list of what is coming up and the form that announces the next one fit the phone too.
    for path in ("/activities/", "/activities/new"):
        staff.goto(f"{live_server_url}{path}")
        expect(staff.locator("h1")).to_be_visible()
        _fits(staff)
