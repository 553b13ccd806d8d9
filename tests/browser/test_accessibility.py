"""The main pages on a phone, as a keyboard or screen reader user meets them: axe finds nothing
(the audit of tests/browser/a11y.py runs on each of them), every control is a 44 px target,
every focus ring stands out from what it is drawn on, and the composer is reached without
tabbing through each message's controls."""

from __future__ import annotations

import pyotp
import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, ViewportSize, expect

import consent
from accounts.actions.twofactor import enrol_second_factor
from accounts.models import Guardianship, School, SchoolClass, User
from consent import actions as consent_actions
from messaging.actions import send
from messaging.models import Conversation
from records import actions as archive_actions
from tests.browser.a11y import small_targets, weak_focus_rings
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    login,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 800}


def visit(page: Page, url: str, problems: list[str]) -> None:
    response = page.goto(url)
    if response is None or not response.ok:
        problems.append(f"{url}: {response and response.status}")
    problems.extend(small_targets(page))
    problems.extend(weak_focus_rings(page))


def test_the_main_pages_pass_axe_with_44px_targets_and_visible_focus(
        live_server_url: str, login: Login, browser: Browser,  # noqa: F811
        school: School, class_4b: SchoolClass, conversation_4b: Conversation,
        announcements: Conversation, teacher: User, parent: User, admin: User, dpo: User) -> None:
    base = live_server_url
    consent_actions.ensure_purposes(school)
    emma = Guardianship.objects.get(guardian=parent).pupil
    question, _ = send.post_message(teacher, conversation_4b, "Who can help on Friday?")
    send.post_message(parent, conversation_4b, "I can, see https://example.org/rota")
    notice, _ = send.post_message(teacher, announcements, "Sign the trip form", ack_requested=True)
    consent_actions.request_consent(teacher, class_4b, consent.PHOTOS_CLASS)
    archive_actions.request_export(dpo, user=parent, pupil=None)
    problems: list[str] = []

    anonymous = browser.new_context(viewport=PHONE).new_page()
    visit(anonymous, f"{base}/login/", problems)

    page = login(base, "parent")
    for path in ["/", f"/c/{conversation_4b.pk}/", f"/c/{conversation_4b.pk}/members/",
                 f"/c/{announcements.pk}/", "/consent/", "/notifications/", "/search/?q=Friday",
                 "/people/", "/welcome/"]:
        visit(page, base + path, problems)
    page.goto(f"{base}/c/{conversation_4b.pk}/")
    page.locator(".message.mine").last.locator(".actions > summary").click()
    problems.extend(small_targets(page))

    page = login(base, "teacher")
    for path in [f"/c/{conversation_4b.pk}/", f"/c/{conversation_4b.pk}/m/{question.pk}/seen",
                 f"/c/{announcements.pk}/m/{notice.pk}/acknowledgements",
                 f"/consent/class/{class_4b.pk}/", "/office-hours/", "/people/",
                 "/people/?q=Emma"]:
        visit(page, base + path, problems)
    page.goto(f"{base}/c/{conversation_4b.pk}/")
    page.locator(f"#m{question.pk} .actions > summary").click()
    page.locator(".composer-more summary").click()
    problems.extend(small_targets(page))

    page = login(base, "admin")
    for path in ["/school/", "/school/people/", f"/school/people/{parent.pk}/",
                 "/school/invitations/", "/school/classes/", f"/school/classes/{class_4b.pk}/",
                 f"/school/pupils/{emma.pk}/", "/school/roster/", "/school/leavers/",
                 "/school/policies/", "/school/groups/", f"/school/groups/{announcements.pk}/",
                 "/archive/retention/policy", "/school/audit/", "/consent/forms/"]:
        visit(page, base + path, problems)

    page = login(base, "dpo")
    for path in ["/archive/", "/archive/search/?text=Friday", "/archive/exports/",
                 "/archive/holds/", "/archive/retention/", "/archive/audit/"]:
        visit(page, base + path, problems)

    assert not problems, "\n".join(problems)


def test_two_factor_pages_pass_axe(live_server_url: str, browser: Browser,  # noqa: F811
                                   school: School, teacher: User, admin: User) -> None:
    school.require_staff_2fa = True
    school.save(update_fields=["require_staff_2fa"])
    secret = pyotp.random_base32()
    enrol_second_factor(admin, secret, pyotp.TOTP(secret).timecode(timezone.now()) - 1)
    problems: list[str] = []
    for username, button in (("teacher", "Confirm"), ("admin", "Continue")):
        page = browser.new_context(viewport=PHONE).new_page()
        page.goto(f"{live_server_url}/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("h1")).to_contain_text("Two-factor" if username == "admin" else "Set up")
        problems.extend(small_targets(page) + weak_focus_rings(page))
        page.get_by_role("textbox").first.fill("000000")
        page.get_by_role("button", name=button).click()
        expect(page.locator(".error").first).to_be_visible()
        page.wait_for_load_state("load")
        problems.extend(small_targets(page))
    assert not problems, "\n".join(problems)


def test_the_composer_is_reached_without_tabbing_through_each_message(
        live_server_url: str, login: Login, conversation_4b: Conversation,  # noqa: F811
        teacher: User, parent: User) -> None:
    for n in range(20):
        send.post_message(teacher if n % 2 else parent, conversation_4b, f"Message number {n}")
    page = login(live_server_url, "parent")
    page.goto(f"{live_server_url}/c/{conversation_4b.pk}/")
    expect(page.locator("#chat[data-subscribed='1']")).to_have_count(1)
    expect(page.locator(".message")).to_have_count(20)
    composer = page.get_by_role("textbox", name="Message")
    stops: list[str] = []
    while not page.evaluate("(box) => document.activeElement === box", composer.element_handle()):
        assert len(stops) < 100, f"the composer is not reached: {stops}"
        page.keyboard.press("Tab")
        stops.append(page.evaluate("() => { const el = document.activeElement;"
                                   " const m = el.closest('.message');"
                                   " return m ? m.id : el.tagName + ' ' + el.textContent.trim(); }"))
    in_messages = [stop for stop in stops if stop.startswith("m")]
    assert len(in_messages) <= 20 and len(set(in_messages)) == len(in_messages), stops
    # The page's own controls before the list stay few: skip link, header, chat head.
    assert len(stops) - len(in_messages) <= 12, stops

    # A message's toggle opens its actions from the keyboard, and Reply reaches the composer.
    page.locator(".message").first.locator(".actions > summary").focus()
    page.keyboard.press("Enter")
    reply = page.locator(".message").first.get_by_role("link", name="Reply")
    expect(reply).to_be_visible()
    reply.focus()
    page.keyboard.press("Enter")
    expect(composer).to_be_focused()
