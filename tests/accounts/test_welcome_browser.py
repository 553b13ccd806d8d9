"""A parent's first login and a teacher's people list on a phone (390x844), in English, Dutch
and Russian, in a school made with ``create_school``, through a real daphne process: the
invitation's password signs the parent in and lands on the welcome page (children and classes,
consent, notifications, the class group); the teacher finds that parent by the child's name.
axe audits every page; neither page is wider than the phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from accounts.actions.classes import create_class
from accounts.actions.invitations import invite_new_account
from accounts.actions.schools import create_school
from accounts.models import Role, School, User
from messaging.actions import membership
from messaging.models import Conversation
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    axe_audit,
    browser,
    live_server_url,
)
from tests.factories import PASSWORD, PupilFactory, enrol

pytestmark = pytest.mark.browser
PHONE: ViewportSize = {"width": 390, "height": 844}
BROWSER_LOCALE = {"en": "en-GB", "nl": "nl-NL", "ru": "ru-RU"}
# What each language calls the things a parent looks for first.
WORDS = {
    "en": {"welcome": "Welcome, Irina Petrova", "children": "Your children",
           "class": "class 2B", "group": "2B class group"},
    "nl": {"welcome": "Welkom, Irina Petrova", "children": "Uw kinderen",
           "class": "klas 2B", "group": "Klassengroep 2B"},
    "ru": {"welcome": "Добро пожаловать, Irina Petrova", "children": "Ваши дети",
           "class": "класс 2B", "group": "Группа класса 2B"},
}


def _school() -> tuple[School, User, Conversation, str]:
    """De Regenboog: class 2B with its group; Olga Petrova in 2B, whose mother Irina has just
    been invited; Juf Mirjam teaches 2B and has signed up; the link Irina was sent."""
    school, _ = create_school("De Regenboog", slug="regenboog")
    school.require_staff_2fa = False  # the teacher logs in with a password here
    school.save()
    two_b = create_class(school, "2B", actor=None)
    teacher, _token = invite_new_account(school, actor=None, username="mirjam",
                                         display_name="Juf Mirjam", role=Role.TEACHER)
    teacher.set_password(PASSWORD)  # as if she had followed her invitation
    teacher.is_active = True
    teacher.save()
    two_b.staff.add(teacher)
    irina, token = invite_new_account(school, actor=None, username="regenboog-g2",
                                      display_name="Irina Petrova", role=Role.PARENT)
    enrol(PupilFactory(school=school, first_name="Olga", last_name="Petrova"), two_b, irina)
    group = Conversation.objects.create(school=school, kind=Conversation.Kind.CLASS,
                                        school_class=two_b)
    membership.add_member(group, teacher, actor=None, manager=True)
    membership.add_member(group, irina, actor=None)
    return school, teacher, group, token


def _fits_the_phone(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_a_parents_first_login_and_the_teachers_people_list_on_a_phone(
        live_server_url: str, browser: Browser, language: str) -> None:  # noqa: F811
    base = live_server_url
    _made, teacher, group, token = _school()
    words = WORDS[language]

    context = browser.new_context(viewport=PHONE, locale=BROWSER_LOCALE[language])
    page = context.new_page()
    page.goto(f"{base}/invite/{token}/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.locator("#id_new_password1").fill(PASSWORD)
    page.locator("#id_new_password2").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    # No login form: the password just chosen signed her in.
    page.wait_for_url(f"{base}/welcome/")
    expect(page.get_by_role("heading", level=1)).to_have_text(words["welcome"])
    children = page.locator("section", has=page.get_by_role("heading", name=words["children"]))
    expect(children).to_contain_text("Olga Petrova")
    expect(children).to_contain_text(words["class"])
    expect(page.locator(f'a[href="/c/{group.pk}/"]')).to_contain_text(words["group"])
    expect(page.locator('a[href="/consent/"]').first).to_be_visible()
    expect(page.locator('main a[href="/notifications/"]')).to_be_visible()
    _fits_the_phone(page)
    # Her conversations are open to her, and the menu leads back to the welcome.
    page.goto(f"{base}/")
    page.locator('header a[href="/welcome/"]').click()
    page.wait_for_url(f"{base}/welcome/")
    context.close()

    User.objects.filter(pk=teacher.pk).update(language=language)
    staff = browser.new_context(viewport=PHONE, locale=BROWSER_LOCALE[language])
    phone = staff.new_page()
    phone.goto(f"{base}/login/")
    phone.locator("#id_username").fill("mirjam")
    phone.locator("#id_password").fill(PASSWORD)
    phone.locator("main form button[type=submit]").click()
    phone.wait_for_url(f"{base}/")
    phone.goto(f"{base}/people/")
    expect(phone.locator("main")).to_contain_text("Irina Petrova")
    expect(phone.locator("main")).to_contain_text("Olga Petrova (2B)")
    _fits_the_phone(phone)
    search = phone.get_by_role("searchbox")
    search.fill("olga")
    search.press("Enter")
    phone.wait_for_url(re.compile(r"/people/\?q=olga$"))
    expect(phone.locator("main ul.people li")).to_have_count(1)
    expect(phone.locator("main ul.people li")).to_contain_text("Irina Petrova")
    _fits_the_phone(phone)
    staff.close()
