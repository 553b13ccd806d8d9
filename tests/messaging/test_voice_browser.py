"""Voice messages in the browser, on a 390x844 phone in English, Dutch and Russian, with
Chromium's fake microphone: the teacher records (a running timer), sends, and the parent plays
it inline with its length; a cancelled recording sends nothing; past the school's size limit
the server refuses it with a sentence; a 5A parent gets 404 for 4B's voice file."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from playwright.sync_api import Browser, Page, expect

from accounts.models import School, User
from messaging.models import Attachment, Conversation, Message
from tests.browser.a11y import Audit
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    CHROMIUM,
    CHROMIUM_ARGS,
    axe_audit,
    live_server_url,
)
from tests.messaging.test_photo_browser import fits_the_phone, open_chat, signed_in

pytestmark = pytest.mark.browser
MICROPHONE_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                   "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(autouse=True)
def _media_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path / "media"))


@pytest.fixture
def recording_browser(monkeypatch: pytest.MonkeyPatch, axe_audit: Audit) -> Iterator[Browser]:  # noqa: F811
    """Chromium with a fake microphone (a beep) that needs no permission prompt; every context
    it makes is audited by axe."""
    if not shutil.which(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=[*CHROMIUM_ARGS, *MICROPHONE_ARGS])
        new_context = instance.new_context
        monkeypatch.setattr(instance, "new_context",
                            lambda **options: axe_audit.watch(new_context(**options)))
        yield instance
        axe_audit.finish_all()
        instance.close()


def record(page: Page, at_least: str) -> None:
    """Press record, wait until the timer shows ``at_least`` seconds, and send."""
    page.locator("#voice-record").click()
    expect(page.locator("#voice-panel")).to_be_visible()
    expect(page.locator("#voice-timer")).to_have_text(re.compile(rf"0:0[{at_least}-9]"),
                                                      timeout=15000)
    page.locator("#voice-send").click()


@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_a_voice_message_is_recorded_sent_and_played_and_refused_past_the_limit(
        live_server_url: str, recording_browser: Browser, language: str,  # noqa: F811
        conversation_4b: Conversation, teacher: User, parent: User, parent_5a: User,
        school: School) -> None:
    for person in (teacher, parent, parent_5a):
        person.language = language
        person.save(update_fields=["language"])
    with translation.override(language):
        voice = _("Voice message")
        too_large = re.escape(_("This voice message is %(size)s KB; the school allows %(limit)s KB.")
                              % {"size": "SIZE", "limit": 1}).replace("SIZE", r"\d+")
    base = live_server_url
    teacher_page = signed_in(recording_browser, base, teacher, language)
    parent_page = signed_in(recording_browser, base, parent, language)
    for page in (teacher_page, parent_page):
        open_chat(page, base, conversation_4b)

    # Cancelled: nothing goes.
    teacher_page.locator("#voice-record").click()
    expect(teacher_page.locator("#voice-timer")).to_be_visible()
    fits_the_phone(teacher_page)
    teacher_page.locator("#voice-cancel").click()
    expect(teacher_page.locator("#voice-panel")).to_be_hidden()
    expect(teacher_page.locator("#voice-record")).to_be_focused()

    record(teacher_page, "1")
    arrived = parent_page.locator(".message .attachments .voice")
    expect(arrived).to_have_count(1)
    expect(arrived.locator(".duration")).to_have_text(re.compile(r"0:0[1-9]"))
    expect(arrived.locator("audio")).to_have_attribute("aria-label", voice)
    sent = Attachment.objects.get()
    assert sent.kind == "audio" and sent.content_type == "audio/webm"
    assert sent.message is not None and sent.duration_ms and sent.duration_ms >= 1000
    arrived.locator("audio").evaluate("(audio) => audio.play()")
    parent_page.wait_for_function(
        "() => document.querySelector('.message .voice audio').currentTime > 0")
    for page in (teacher_page, parent_page):
        fits_the_phone(page)
    parent_page.reload()  # as the server renders it
    expect(parent_page.locator(".message .voice .duration")).to_have_text(
        arrived.locator(".duration").inner_text())

    # 5A's parent: the file does not exist for them.
    outsider = signed_in(recording_browser, base, parent_5a, language)
    assert outsider.request.get(f"{base}/a/{sent.token}").status == 404

    # Past the school's size limit: refused with a sentence, nothing sent.
    school.voice_max_kilobytes = 1
    school.save(update_fields=["voice_max_kilobytes"])
    record(teacher_page, "2")
    expect(teacher_page.locator("#composer-error")).to_be_visible()
    expect(teacher_page.locator("#composer-error")).to_have_text(re.compile(too_large))
    assert Attachment.objects.count() == 1 and Message.objects.count() == 1
