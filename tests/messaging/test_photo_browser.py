"""A photo in one step, on a 390x844 phone in English, Dutch and Russian: the teacher chooses
it, types the text and presses Send; refused because nobody is marked, the photo stays chosen
and the text stays in the box; marking "No pupil can be identified" and pressing Send again
sends both, once, and the parent sees the photo arrive."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from playwright.sync_api import Browser, FilePayload, Page, expect

from accounts.models import User
from messaging.models import Attachment, Conversation, Message
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    axe_audit,
    browser,
    live_server_url,
)
from tests.factories import PASSWORD
from tests.messaging.images import photo_with_location

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
BROWSER_LOCALE = {"en": "en-GB", "nl": "nl-NL", "ru": "ru-RU"}


@pytest.fixture(autouse=True)
def _media_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path / "media"))


def signed_in(browser: Browser, base: str, user: User, language: str) -> Page:  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  locale=BROWSER_LOCALE[language])
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


def open_chat(page: Page, base: str, conversation: Conversation) -> None:
    page.goto(f"{base}/c/{conversation.pk}/")
    expect(page.locator("#chat[data-subscribed='1']")).to_have_count(1)


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_a_photo_is_chosen_marked_and_sent_in_one_step_and_a_refusal_loses_nothing(
        live_server_url: str, browser: Browser, language: str,  # noqa: F811
        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    for person in (teacher, parent):
        person.language = language
        person.save(update_fields=["language"])
    with translation.override(language):
        nobody = _("No pupil can be identified")
    teacher_page = signed_in(browser, live_server_url, teacher, language)
    parent_page = signed_in(browser, live_server_url, parent, language)
    for page in (teacher_page, parent_page):
        open_chat(page, live_server_url, conversation_4b)

    teacher_page.locator("#composer-more > summary").click()
    teacher_page.set_input_files("#id_file", files=[FilePayload(
        name="class-garden.jpg", mimeType="image/jpeg", buffer=photo_with_location())])
    expect(teacher_page.locator("#tags")).to_be_visible()
    teacher_page.locator("#id_body").fill("Our class garden")
    teacher_page.locator("#composer > button.primary").click()

    # Refused (nobody marked): said, and nothing chosen or typed is lost.
    expect(teacher_page.locator("#composer-error")).to_be_visible()
    expect(teacher_page.locator("#composer-error")).not_to_be_empty()
    expect(teacher_page.locator("#attached li.chosen")).to_contain_text("class-garden.jpg")
    expect(teacher_page.locator("#id_body")).to_have_value("Our class garden")
    expect(teacher_page.locator("#tags")).to_be_visible()
    assert teacher_page.eval_on_selector("#id_file", "(input) => input.files.length") == 1
    fits_the_phone(teacher_page)
    assert not Attachment.objects.exists() and not Message.objects.exists()

    teacher_page.get_by_label(nobody).check()
    teacher_page.locator("#composer > button.primary").click()
    message = parent_page.locator(".message", has_text="Our class garden")
    expect(message.locator(".attachments img")).to_have_count(1)
    expect(teacher_page.locator("#composer-error")).to_be_hidden()
    expect(teacher_page.locator("#attached li")).to_have_count(0)
    expect(teacher_page.locator("#tags")).to_be_hidden()
    expect(teacher_page.locator("#id_body")).to_have_value("")
    sent = Message.objects.get()
    assert sent.body == "Our class garden" and sent.attachments.count() == 1
    for page in (teacher_page, parent_page):
        fits_the_phone(page)
