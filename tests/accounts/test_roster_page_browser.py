"""The roster page on a 390x844 phone in English, Dutch and Russian: the template file is a
link away and comes with the school's column names; a Windows-1252 export that lost letters
to "?" is previewed with a warning naming its lines; applying it leads to the import's page.
axe audits every page; none is wider than the phone."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from playwright.sync_api import FilePayload, Page, expect

from accounts.models import Pupil, School, User
from accounts.roster import columns_in
from tests.accounts.test_roster_page import LOST
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    login,
)

pytestmark = pytest.mark.browser


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_the_template_and_the_lost_letters_warning_on_a_phone(
        live_server_url: str, login: Login, school: School, admin: User,  # noqa: F811
        language: str) -> None:
    school.language = language
    school.save(update_fields=["language"])
    admin.language = language
    admin.save(update_fields=["language"])
    with translation.override(language):
        download, apply = _("Download a template file"), _("Apply these changes")
    page = login(live_server_url, "admin", viewport={"width": 390, "height": 844})
    page.goto(f"{live_server_url}/school/roster/")
    with page.expect_download() as got:
        page.get_by_role("link", name=download).click()
    header = got.value.path().read_text(encoding="utf-8-sig").splitlines()[0]
    assert columns_in(language)[0] in header
    fits_the_phone(page)

    delimiter = "," if language == "en" else ";"
    text = delimiter.join(columns_in(language)) + "\r\n" + LOST.replace(";", delimiter)
    # Russian names cannot be Windows-1252; its "?" are the same loss.
    encoding = "utf-8" if language == "ru" else "cp1252"
    page.set_input_files("#id_file", files=[FilePayload(
        name="roster.csv", mimeType="text/csv", buffer=text.encode(encoding))])
    page.locator("form[enctype] button[type=submit]").click()
    warning = page.locator(".notice.warning")
    expect(warning).to_contain_text("2, 4")
    expect(warning).to_contain_text("Ay?e")
    fits_the_phone(page)
    page.get_by_role("button", name=apply).click()
    page.wait_for_url(lambda url: "/school/roster/imports/" in url)
    fits_the_phone(page)
    assert Pupil.objects.filter(school=school).count() == 3
