"""A parent opens their calendar on a phone, sees the school's holiday and makes the address for
their phone's calendar app, in English, Dutch and Russian."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import ViewportSize, expect

from accounts.models import School, User
from agenda.models import Holiday
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    login,
)

pytestmark = pytest.mark.browser
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_a_parent_reads_the_calendar_and_makes_a_feed_address(
        live_server_url: str, login: Login, school: School, parent: User,  # noqa: F811
        language: str) -> None:
    User.objects.filter(pk=parent.pk).update(language=language)
    first = timezone.localdate() + timedelta(days=3)
    Holiday.objects.create(school=school, name="Winter break", starts_on=first,
                           ends_on=first + timedelta(days=6))
    page = login(live_server_url, "parent", viewport=PHONE)
    page.goto(f"{live_server_url}/calendar/")
    expect(page.locator(".agenda-item")).to_contain_text("Winter break")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator(".agenda-feed button[type=submit]").click()
    address = page.locator("#feed-address")
    expect(address).to_be_visible()
    assert "/calendar/feed/" in address.input_value()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    feed = page.request.get(address.input_value())
    assert feed.ok and "Winter break" in feed.text()
