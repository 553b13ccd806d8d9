"""The lead manages the school's words and patterns on a phone: from the queue to the list, a
broken regular expression refused with what was typed kept, a phrase added and tried, a
default switched off, the phrase deleted. Every control is at least 44 px each way; axe audits
every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import ViewportSize, expect

from accounts.actions.people import create_account
from accounts.actions.schools import create_school
from accounts.models import Role
from safeguarding.models import Pattern
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    live_servers,
    login,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
PHONE: ViewportSize = {"width": 360, "height": 740}


def test_the_lead_manages_the_list_on_a_phone(live_server_url: str,  # noqa: F811
                                              login: Login) -> None:  # noqa: F811
    school, _ = create_school("De Regenboog", slug="regenboog")
    school.require_staff_2fa = False  # two-factor has its own tests
    school.save()
    lead = create_account(school, actor=None, username="veilig", display_name="Meneer Veilig",
                          role=Role.SAFEGUARDING)
    lead.set_password(PASSWORD)
    lead.is_active = True
    lead.save()

    page = login(live_server_url, "veilig", viewport=PHONE)
    expect(page).to_have_url(f"{live_server_url}/safeguarding/")
    page.get_by_role("link", name="Words and patterns").click()
    expect(page.get_by_role("heading", name="Words and patterns")).to_be_visible()

    add = page.get_by_role("region", name="Add words or a pattern")
    add.get_by_label("Language").select_option("nl")
    add.get_by_label("Category").select_option("bullying")
    add.get_by_label("Words or a regular expression?").select_option("regex")
    add.get_by_label("Words or pattern").fill("stinkende (sokken")
    page.get_by_role("button", name="Add to the list").click()
    add = page.get_by_role("region", name="Add words or a pattern")
    expect(add.get_by_role("alert")).to_contain_text("does not work")
    expect(add.get_by_label("Words or pattern")).to_have_value("stinkende (sokken")
    expect(add.get_by_label("Language")).to_have_value("nl")

    add.get_by_label("Words or a regular expression?").select_option("words")
    add.get_by_label("Words or pattern").fill("stinkende sokken")
    page.get_by_role("button", name="Add to the list").click()
    expect(page.locator(".flash, [role=status]").first).to_contain_text("The pattern is added")
    added = page.locator("ul.patterns li", has_text="“stinkende sokken”")
    expect(added).to_contain_text("Added by the school")

    page.get_by_label("A sentence to try").fill("Sam en zijn stinkende sokken")
    page.get_by_role("button", name="Check this sentence").click()
    expect(page.locator(".tried")).to_contain_text("1 pattern would flag it")
    expect(page.locator(".tried")).to_contain_text("matched “stinkende sokken”")

    for control in page.locator(".patterns-page button, .patterns-page select, "
                                ".patterns-page input:visible, .patterns-page textarea").all():
        box = control.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 44, box

    page.get_by_role("button", name="Switch off the words “porno”").click()
    expect(page.locator("ul.patterns li", has_text="“porno”")).to_contain_text(
        "Off: flags nothing")
    assert not Pattern.objects.get(school=school, language="nl", text="porno").active

    page.get_by_role("button", name="Delete the words “stinkende sokken”").click()
    expect(page.locator("ul.patterns li", has_text="“stinkende sokken”")).to_have_count(0)
    assert not Pattern.objects.filter(school=school, text="stinkende sokken").exists()


def test_a_stored_pattern_the_screen_cannot_run_is_marked_on_the_list(
        live_server_url: str, login: Login) -> None:  # noqa: F811
    school, _ = create_school("De Regenboog", slug="regenboog")
    school.require_staff_2fa = False
    school.save()
    lead = create_account(school, actor=None, username="veilig", display_name="Meneer Veilig",
                          role=Role.SAFEGUARDING)
    lead.set_password(PASSWORD)
    lead.is_active = True
    lead.save()
    # Stored before patterns ran on the linear-time engine, which cannot run a backreference.
    Pattern.objects.create(school=school, language="nl", category="bullying", kind="regex",
                           text=r"\b(\w+) \1\b")

    page = login(live_server_url, "veilig", viewport=PHONE)
    page.goto(f"{live_server_url}/safeguarding/patterns/")
    row = page.locator("ul.patterns li", has_text=r"\b(\w+) \1\b")
    expect(row).to_contain_text("Not running: the screen skips this pattern, so it flags nothing.")
    expect(row).to_contain_text("refers back to an earlier group")
    assert page.locator(".not-running").count() == 1
