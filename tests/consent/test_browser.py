"""In a real browser on a phone-sized screen: a parent is asked on sign-in, reads the form and
gives consent in two taps; the teacher's coverage page no longer lists the child."""

from __future__ import annotations

import pytest

import consent
from consent import actions
from tests.browser.conftest import browser, live_server_url, login  # noqa: F401

pytestmark = pytest.mark.browser


def test_a_parent_answers_a_request_in_two_taps(live_server_url, login, purposes,  # noqa: F811
                                                teacher, parent, emma, class_4b):
    actions.request_consent(teacher, class_4b, consent.PHOTOS_CLASS)
    page = login(live_server_url, "parent")
    banner = page.locator(".consent-banner")
    assert "decision on 1 consent question" in banner.inner_text()
    banner.get_by_role("link", name="Answer now").click()  # tap one
    card = page.locator(f"#p{emma.pk}-{consent.PHOTOS_CLASS}")
    assert "The school asks for your decision." in card.inner_text()
    card.get_by_text("Read the form (version 1)").click()
    assert card.get_by_text("I agree that staff may share photos").is_visible()
    card.get_by_role("button", name="Give consent").click()  # tap two
    page.wait_for_url(f"**/consent/#p{emma.pk}-{consent.PHOTOS_CLASS}")
    assert "You gave consent for “Photos in class groups” for" in page.locator(".flash").first \
        .inner_text()
    card = page.locator(f"#p{emma.pk}-{consent.PHOTOS_CLASS}")
    assert card.get_by_role("button", name="Withdraw consent").is_visible()
    assert page.locator(".consent-banner").count() == 0
    assert consent.has_consent(emma, consent.PHOTOS_CLASS)

    staff = login(live_server_url, "teacher")
    staff.goto(f"{live_server_url}/consent/class/{class_4b.pk}/")
    section = staff.locator(f'[data-purpose="{consent.PHOTOS_CLASS}"]')
    assert "The one pupil of this class has this consent." in section.inner_text()
    assert str(emma) in staff.locator(f'[data-purpose="{consent.PHOTOS_TOGETHER}"]').inner_text()
