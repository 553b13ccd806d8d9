"""The DPO reviews what was written about a pupil on a phone (390 x 844), in English, Dutch
and Russian: axe finds nothing (tests/browser/a11y.py audits every page), every control is a
44 px target with a visible focus ring, and the reviewed export starts."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from playwright.sync_api import Page, expect

from accounts.models import Guardianship, User
from archive.models import SubjectAccessExport
from messaging.actions import send
from messaging.models import Conversation
from tests.browser.a11y import small_targets, weak_focus_rings
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    login,
)

pytestmark = pytest.mark.browser


def _checked(page: Page) -> list[str]:
    return [*small_targets(page), *weak_focus_rings(page)]


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_the_dpo_reviews_a_pupils_export_on_a_phone(
        live_server_url: str, login: Login,  # noqa: F811
        conversation_4b: Conversation, teacher: User, parent: User, dpo: User,
        language: str) -> None:
    base = live_server_url
    pupil = Guardianship.objects.filter(guardian=parent).select_related("pupil").first()
    assert pupil is not None
    child = pupil.pupil
    said = f"{child.first_name} will be late on Thursday (dentist at 9:00)."
    send.post_message(parent, conversation_4b, said)
    User.objects.filter(pk=dpo.pk).update(language=language)
    with translation.override(language):
        include, reason, make = _("Include"), _("Reason"), _("Make the export with the included items")
        started = _("The export has started.")

    page = login(base, "dpo", viewport={"width": 390, "height": 844})
    page.goto(f"{base}/archive/exports/pupil/{child.pk}/review")
    expect(page.get_by_text(said)).to_be_visible()
    problems = _checked(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide"
    for radio in page.get_by_role("radio", name=include).all():
        radio.check()
    for field in page.get_by_label(reason).all():
        field.fill("Written about the pupil")
    page.get_by_role("button", name=make).click()
    expect(page.get_by_text(started)).to_be_visible()
    assert SubjectAccessExport.objects.filter(subject_pupil=child).exists()
    assert not problems, "\n".join(problems)
