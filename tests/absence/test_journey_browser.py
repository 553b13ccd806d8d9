"""An absence's journey on phones (390 x 844), in English, Dutch and Russian, in a school made
with ``create_school``, through a real daphne process and a committing database: the class
teacher's list of the day is open; a parent reports two children absent from the home screen;
the teacher's open list shows both, with the reason, without a reload. axe audits every page;
no page is wider than the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from accounts.actions.classes import create_class
from accounts.actions.enrolment import assign_staff, enrol, set_guardianship
from accounts.actions.people import create_account, create_pupil
from accounts.actions.schools import create_school
from accounts.models import Pupil, Role, User
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
PHONE: ViewportSize = {"width": 390, "height": 844}
LIVE = 2000  # ms: what "live" means here

TEXTS = {
    "en": {"nobody": "Nobody is reported absent.", "thanks": "The school knows that",
           "ill": "Ill"},
    "nl": {"nobody": "Niemand is afwezig gemeld.", "thanks": "De school weet dat",
           "ill": "Ziek"},
    "ru": {"nobody": "Никто не отсутствует.", "thanks": "Школа знает, что", "ill": "Болезнь"},
}


def _person(school: object, username: str, name: str, role: str, language: str) -> User:
    user = create_account(school, actor=None, username=username,  # type: ignore[arg-type]
                          display_name=name, role=role)
    user.set_password(PASSWORD)  # as if they had followed their invitation
    user.is_active = True
    user.language = language
    user.save()
    return user


def _school(language: str) -> tuple[User, User, list[Pupil]]:
    school, _ = create_school("De Regenboog", slug="regenboog")
    school.require_staff_2fa = False  # two-factor has its own tests
    school.save()
    group = create_class(school, "Groep 4", actor=None)
    teacher = _person(school, "mirjam", "Juf Mirjam", Role.TEACHER, language)
    parent = _person(school, "anna", "Anna de Boer", Role.PARENT, language)
    assign_staff(teacher, group)
    children = []
    for ref, first in (("G401", "Daan"), ("G402", "Sara")):
        child = create_pupil(school, actor=None, ref=ref, first_name=first, last_name="de Boer")
        enrol(child, group)
        set_guardianship(parent, child, relationship="mother")
        children.append(child)
    return teacher, parent, children


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_a_parent_reports_two_children_and_the_teachers_open_list_shows_them(
        live_server_url: str, login: Login, language: str) -> None:  # noqa: F811
    texts = TEXTS[language]
    _teacher, _parent, (daan, sara) = _school(language)

    teacher = login(live_server_url, "mirjam", viewport=PHONE)
    teacher.goto(f"{live_server_url}/absence/")
    expect(teacher.locator("#absences")).to_have_attribute("data-live", "1")
    expect(teacher.locator("section.class-day li.empty")).to_have_text(texts["nobody"])
    _fits(teacher)

    parent = login(live_server_url, "anna", viewport=PHONE)
    parent.goto(f"{live_server_url}/")
    parent.locator(".absence-entry a").click()
    expect(parent).to_have_url(f"{live_server_url}/absence/report/")
    _fits(parent)
    parent.locator(f"input[name=children][value='{daan.pk}']").check()
    parent.locator(f"input[name=children][value='{sara.pk}']").check()
    parent.locator("input[name=category][value=ill]").check()
    parent.locator("textarea[name=note]").fill("Koorts / fever / жар")
    parent.locator("form.card button[type=submit]").click()
    expect(parent).to_have_url(f"{live_server_url}/absence/")
    expect(parent.locator(".flash")).to_contain_text(texts["thanks"])
    _fits(parent)

    # The teacher's open list, not reloaded.
    for child in (daan, sara):
        row = teacher.locator(f"#absence-items li.absence[data-pupil='{child.pk}']")
        expect(row).to_contain_text(child.first_name, timeout=LIVE)
        expect(row.locator(".reason")).to_contain_text(texts["ill"])
        expect(row.locator(".reason")).to_contain_text("Koorts / fever / жар")
    _fits(teacher)
