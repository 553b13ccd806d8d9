"""The roster import's page on a phone (390x844) against a real daphne process, in English,
Dutch and Russian, checked by axe: the progress bar and its sentence move as the worker writes
its progress (the page's script polls the status under the strict CSP), and the page shows
what the import did once it is done."""

import pytest

from accounts.models import RosterImport, School, User
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    login,
)

pytestmark = pytest.mark.browser

SENTENCES = {
    "en": ("312 of 4,000 lines", "2,000 of 4,000 lines", "Imported"),
    "nl": ("312 van 4.000 regels", "2.000 van 4.000 regels", "Geïmporteerd"),
    "ru": ("312 из 4\xa0000 строк", "2\xa0000 из 4\xa0000 строк", "Импортировано"),
}


def test_the_progress_page_on_a_phone_in_three_languages(live_server_url: str,  # noqa: F811
                                                         login: Login,  # noqa: F811
                                                         school: School, admin: User) -> None:
    page = login(live_server_url, "admin", viewport={"width": 390, "height": 844})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    for language, (started, halfway, imported) in SENTENCES.items():
        User.objects.filter(pk=admin.pk).update(language=language)
        job = RosterImport.objects.create(school=school, started_by=admin, text="…",
                                          state="running", lines_done=312, lines_total=4000)
        page.goto(f"{live_server_url}/school/roster/imports/{job.pk}/")
        bar = page.locator("progress#roster-progress")
        assert bar.get_attribute("value") == "312" and bar.get_attribute("max") == "4000"
        assert page.locator("#roster-progress-text").inner_text() == started
        assert bar.bounding_box()["width"] <= 390  # type: ignore[index]
        # The worker moves on: the page follows without a reload.
        RosterImport.objects.filter(pk=job.pk).update(lines_done=2000)
        page.wait_for_function(
            "t => document.getElementById('roster-progress-text').textContent === t",
            arg=halfway, timeout=10000)
        assert page.evaluate("() => document.getElementById('roster-progress').value") == 2000
        # Done: the page reloads itself and shows what the import did.
        RosterImport.objects.filter(pk=job.pk).update(
            state="done", lines_done=4000, text="",
            result={"summary": "Pupils: 1 created.", "changes": ["New pupil P1 Anna Jansen"]})
        page.get_by_role("heading", name=imported, exact=True).wait_for(timeout=10000)
        assert page.get_by_text("New pupil P1 Anna Jansen").is_visible()
        assert page.locator("progress").count() == 0
    # No script error, no refused inline script (the strict CSP reports to the console).
    assert errors == []
