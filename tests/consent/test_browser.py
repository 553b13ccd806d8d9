"""In a real browser on a phone-sized screen: a parent is asked on sign-in, reads the form and
gives consent in two taps; the teacher's coverage page no longer lists the child."""

from __future__ import annotations

from pathlib import Path

import pytest

import consent
from accounts.models import Pupil, Role, School, SchoolClass, User
from consent import actions
from consent.models import ConsentPurpose
from consent.services import has_consent
from messaging.actions import membership
from messaging.models import Conversation
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    login,
)

pytestmark = pytest.mark.browser


def test_a_parent_answers_a_request_in_two_taps(live_server_url: str, login: Login,  # noqa: F811
                                                purposes: dict[str, ConsentPurpose], teacher: User,
                                                parent: User, emma: Pupil, class_4b: SchoolClass) -> None:
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
    assert has_consent(emma, consent.PHOTOS_CLASS)

    staff = login(live_server_url, "teacher")
    staff.goto(f"{live_server_url}/consent/class/{class_4b.pk}/")
    section = staff.locator(f'[data-purpose="{consent.PHOTOS_CLASS}"]')
    assert "The one pupil of this class has this consent." in section.inner_text()
    assert str(emma) in staff.locator(f'[data-purpose="{consent.PHOTOS_TOGETHER}"]').inner_text()


def test_photo_consent_is_enforced_when_posting_and_a_withdrawal_hides_the_photo_live(
        live_server_url: str, login: Login,  # noqa: F811
        purposes: dict[str, ConsentPurpose], teacher: User, parent: User, emma: Pupil, school: School,
        class_4b: SchoolClass, conversation_4b: Conversation, admin: User,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Refused: the teacher is told why and nothing is stored. Consented: it posts. Withdrawn:
    the photo disappears from another parent's open tab within 2 seconds."""
    from playwright.sync_api import FilePayload, expect

    from messaging.models import Attachment, Message
    from tests.factories import PupilFactory, UserFactory, enrol
    from tests.messaging.images import photo_with_location

    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path / "media"))
    olga = UserFactory(username="olga", display_name="Olga Petrova", role=Role.PARENT,
                       school=school)
    liam = enrol(PupilFactory(school=school, first_name="Liam", last_name="Bakker"), class_4b, olga)
    membership.add_member(conversation_4b, olga, actor=admin)
    actions.decide(olga, liam, consent.PHOTOS_CLASS, "refused")
    actions.decide(parent, emma, consent.PHOTOS_CLASS, "granted")

    teacher_page, olga_page = login(live_server_url, "teacher"), login(live_server_url, "olga")
    for page in (teacher_page, olga_page):
        page.goto(f"{live_server_url}/c/{conversation_4b.pk}/")
        expect(page.locator("#chat[data-subscribed='1']")).to_have_count(1)

    teacher_page.set_input_files("#id_file", files=[FilePayload(
        name="sports-day.jpg", mimeType="image/jpeg", buffer=photo_with_location())])
    teacher_page.locator("#tag-list").get_by_label("Liam B.").check()
    teacher_page.get_by_role("textbox", name="Message").fill("Sports day!")
    teacher_page.get_by_role("button", name="Send", exact=True).click()
    expect(teacher_page.locator("#composer-error")).to_contain_text(
        "Liam Bakker has no consent for “Photos in class groups”")
    assert not Attachment.objects.exists()

    # The photo, its marks and the text are still there: unmark Liam, mark Emma, send again.
    expect(teacher_page.locator("#attached li")).to_contain_text("sports-day.jpg")
    teacher_page.locator("#tag-list").get_by_label("Liam B.").uncheck()
    teacher_page.locator("#tag-list").get_by_label(f"{emma.first_name} {emma.last_name[:1]}.").check()
    expect(teacher_page.get_by_role("textbox", name="Message")).to_have_value("Sports day!")
    teacher_page.get_by_role("button", name="Send", exact=True).click()
    photo = olga_page.locator(".message .attachments img")
    expect(photo).to_have_count(1)
    assert Message.objects.get().attachments.count() == 1

    parent_page = login(live_server_url, "parent")
    parent_page.goto(f"{live_server_url}/consent/")
    parent_page.locator(f"#p{emma.pk}-{consent.PHOTOS_CLASS}").get_by_role(
        "button", name="Withdraw consent").click()
    expect(olga_page.locator(".message .attachments .hidden-photo")).to_have_text(
        "hidden: consent withdrawn", timeout=2000)
    expect(photo).to_have_count(0)
