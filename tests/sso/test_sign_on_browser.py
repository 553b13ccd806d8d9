"""A teacher signs in with the school's account on a phone, in English, Dutch and Russian,
through a live server and a real OpenID provider in its own process: the login page's offer,
the provider's form, Schoolchat's own code (the school does not trust the provider's second
factor), the inbox, and logging out. A parent who tries the same is told that parents log in
with their password. axe audits every page, the provider's too; none is wider than the phone."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyotp
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from accounts.actions.schools import create_school
from accounts.actions.twofactor import enrol_second_factor
from accounts.models import Role
from tests.browser.a11y import Audit
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    axe_audit,
    browser,
    live_server_url,
)
from tests.factories import PASSWORD as USER_PASSWORD
from tests.factories import UserFactory
from tests.sso.conftest import Provider, running_provider, set_up_sign_on
from tests.sso.provider.serve import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE: ViewportSize = {"width": 390, "height": 844}
BROWSER_LOCALE = {"en": "en-GB", "nl": "nl-NL", "ru": "ru-RU"}
# The header's "Log out" reads "Afmelden" in Dutch: Django's own admin catalogue comes first.
WORDS = {
    "en": {"offer": "Sign in with Test Provider", "inbox": "Conversations", "logout": "Log out",
           "code": "Two-factor sign-in",
           "parent": "Only staff of Test Primary sign in with Test Provider."},
    "nl": {"offer": "Inloggen met Test Provider", "inbox": "Gesprekken", "logout": "Afmelden",
           "code": "Inloggen in twee stappen",
           "parent": "Alleen medewerkers van Test Primary loggen in met Test Provider."},
    "ru": {"offer": "Войти через Test Provider", "inbox": "Разговоры", "logout": "Выйти",
           "code": "Двухфакторный вход",
           "parent": "Через Test Provider входят только сотрудники школы Test Primary."},
}


@pytest.fixture(scope="module")
def sso_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    with running_provider(tmp_path_factory.mktemp("provider")) as running:
        yield running


def _fits(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def _at_provider(page: Page, username: str, words: dict[str, str]) -> None:
    page.get_by_role("link", name=words["offer"]).click()
    expect(page.get_by_role("heading", name="Test Provider")).to_be_visible()
    _fits(page)
    page.get_by_label("Provider username").fill(username)
    page.get_by_label("Provider password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in at the provider").click()


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_a_teacher_signs_in_with_the_schools_account_on_a_phone(
        browser: Browser, live_server_url: str, axe_audit: Audit,  # noqa: F811
        sso_provider: Provider, language: str) -> None:
    words = WORDS[language]
    school, _ = create_school("Test Primary", slug="test-primary")
    teacher = UserFactory(username="anna", display_name="Juf Anna", role=Role.TEACHER,
                          school=school, email="juf.anna@school.example")
    secret = pyotp.random_base32()
    enrol_second_factor(teacher, secret)
    UserFactory(username="mother", role=Role.PARENT, school=school, email="mother@home.example")
    sso_provider.people(juf={"email": "juf.anna@school.example", "amr": ["pwd", "mfa"]},
                        mother={"email": "mother@home.example", "amr": ["pwd"]})
    set_up_sign_on(school, sso_provider, trust=False)

    context = browser.new_context(viewport=PHONE, locale=BROWSER_LOCALE[language])
    page = context.new_page()
    page.goto(f"{live_server_url}/login/")
    _fits(page)
    _at_provider(page, "juf", words)
    # Back at Schoolchat: its own code, since the school does not trust the provider's.
    expect(page.get_by_role("heading", name=words["code"])).to_be_visible()
    _fits(page)
    page.locator("#id_code").fill(pyotp.TOTP(secret).now())
    page.locator("#id_code").press("Enter")
    expect(page.get_by_role("heading", name=words["inbox"])).to_be_visible()
    assert page.url == f"{live_server_url}/"
    _fits(page)
    page.get_by_role("button", name=words["logout"]).click()
    expect(page.get_by_role("link", name=words["offer"])).to_be_visible()
    assert "/login/" in page.url
    page.goto(f"{live_server_url}/")
    expect(page).to_have_url(re.compile(r"/login/"))
    axe_audit.finish(context)
    context.close()

    parent = browser.new_context(viewport=PHONE, locale=BROWSER_LOCALE[language])
    page = parent.new_page()
    page.goto(f"{live_server_url}/login/")
    _at_provider(page, "mother", words)
    expect(page.get_by_role("alert")).to_have_text(re.compile(re.escape(words["parent"])))
    _fits(page)
    page.goto(f"{live_server_url}/")
    expect(page).to_have_url(re.compile(r"/login/"))
    axe_audit.finish(parent)
    parent.close()


SAVED = {"en": "The sign-on settings are saved.",
         "nl": "De instellingen voor eenmalige aanmelding zijn opgeslagen.",
         "ru": "Настройки единого входа сохранены."}


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_the_admin_sets_up_sign_on_on_a_phone(
        browser: Browser, live_server_url: str, axe_audit: Audit,  # noqa: F811
        language: str) -> None:
    school, _ = create_school("Test Primary", slug="test-primary")
    school.require_staff_2fa = False  # the admin logs in with a password here
    school.save()
    UserFactory(username="head", role=Role.ADMIN, school=school)
    context = browser.new_context(viewport=PHONE, locale=BROWSER_LOCALE[language])
    page = context.new_page()
    page.goto(f"{live_server_url}/login/")
    page.locator("#id_username").fill("head")
    page.locator("#id_password").fill(USER_PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(f"{live_server_url}/school/")
    page.goto(f"{live_server_url}/school/sso/")
    expect(page.locator("#callback-url")).to_have_text(
        f"{live_server_url}/sso/test-primary/callback/")
    _fits(page)
    page.locator("#id_name").fill("Microsoft")
    page.locator("#id_issuer").fill("https://login.microsoftonline.com/tenant/v2.0")
    page.locator("#id_client_id").fill("abc-123")
    page.locator("#id_client_secret").fill("the-secret")
    page.locator("button.primary").click()
    expect(page.get_by_role("status")).to_contain_text(SAVED[language])
    expect(page.locator("#id_client_secret")).to_have_value("")
    _fits(page)
    axe_audit.finish(context)
    context.close()
