"""A OneRoster zip on the roster page, on a phone (390x844) against a real daphne process, in
English, Dutch and Russian, checked by axe: upload, the preview (what the file is, the skipped
scheduled class, the leavers to confirm), apply, and the import's page saying what it did."""

import pytest
from playwright.sync_api import FilePayload

from accounts.models import Pupil, School, User
from tests.accounts import oneroster_files as files
from tests.accounts.oneroster_files import delta, make_zip, small_school
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    login,
)

pytestmark = pytest.mark.browser

WIDTH = 390


def bulk_with_two_pupils() -> bytes:
    school = small_school()
    school.pupils = school.pupils[:2]
    return make_zip(files.bulk_files(school), dated=(2026, 11, 5))


def anna_renamed() -> bytes:
    return make_zip(delta({"users": [
        {"sourcedId": "p-1", "enabledUser": "true", "username": "p-1", "givenName": "Anne",
         "familyName": "de Vries", "identifier": "1001", "agentSourcedIds": "g-1,g-2"}]}),
        mode="delta")


# Per language: the file, what its preview says, whether it has leavers, the done heading.
STEPS = {
    "en": (make_zip(files.bulk_files(small_school())), "OneRoster 1.2.1, a bulk file",
           "Maths 4", False, "Imported"),
    "nl": (bulk_with_two_pupils(), "OneRoster 1.2.1, een bulkbestand", "1003 Chen Li", True,
           "Geïmporteerd"),
    "ru": (anna_renamed(), "OneRoster 1.2.1, файл изменений (delta)", "1001", False,
           "Импортировано"),
}


def test_upload_preview_and_apply_a_oneroster_zip_on_a_phone(live_server_url: str,  # noqa: F811
                                                             login: Login,  # noqa: F811
                                                             school: School,
                                                             admin: User) -> None:
    page = login(live_server_url, "admin", viewport={"width": WIDTH, "height": 844})
    for language, (raw, kind, shown, leavers, imported) in STEPS.items():
        User.objects.filter(pk=admin.pk).update(language=language)
        page.goto(f"{live_server_url}/school/roster/")
        upload: FilePayload = {"name": "roster.zip", "mimeType": "application/zip",
                               "buffer": raw}
        page.locator("input[type=file]").set_input_files(files=[upload])
        page.locator("form[enctype] button[type=submit]").click()
        apply = page.locator("form:has(input[name=confirm]) button[type=submit]")
        apply.wait_for()
        assert page.get_by_text(kind).is_visible()
        assert page.get_by_text(shown).first.is_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= WIDTH
        if leavers:
            page.locator("input[name=leavers_confirmed]").check()
        apply.click()
        page.get_by_role("heading", name=imported, exact=True).wait_for(timeout=20000)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= WIDTH
    assert Pupil.objects.get(school=school, sourced_id="p-1").first_name == "Anne"
    assert Pupil.objects.get(school=school, sourced_id="p-3").left_on is not None
