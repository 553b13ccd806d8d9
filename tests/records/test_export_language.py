"""The subject access export is written for the person it is about: in their language, with
field names a parent reads, no internal codes or ids."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings

from accounts.actions.enrolment import set_guardianship
from accounts.models import User
from messaging.actions import send
from messaging.models import Conversation
from records import actions
from tests.factories import PupilFactory

pytestmark = pytest.mark.django_db

# Internal codes a reader must never meet: record kinds, role and decision codes, field names.
CODES = re.compile(r"\b(admin|account|member|message|hold|export)\.[a-z_]+\b"
                   r"|\b(display_name|first_name|last_name|username|last_login)\b")


def _index(dpo: User, person: User, settings: Settings, tmp_path: Path,
           capture: DjangoCaptureOnCommitCallbacks) -> str:
    settings.MEDIA_ROOT = tmp_path
    with capture(execute=True):
        export = actions.request_export(dpo, user=person)
    export.refresh_from_db()
    with zipfile.ZipFile(actions.export_path(export)) as bundle:
        return bundle.read("index.html").decode()


def _visible(html: str) -> str:
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize(("language", "words"), [
    ("en", ["Subject access export", "E-mail address", "Parent or guardian", "Class group",
            "Messages"]),
    ("nl", ["E-mailadres", "Ouder of verzorger", "Klassengroep 4B", "Berichten"]),
    ("ru", ["Адрес электронной почты", "Родитель или опекун", "Сообщения"]),
])
def test_the_export_is_in_the_persons_language(
        dpo: User, parent: User, teacher: User, conversation_4b: Conversation,
        settings: Settings, tmp_path: Path,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
        language: str, words: list[str]) -> None:
    send.post_message(teacher, conversation_4b, "Trip to the zoo on Friday")
    parent.language = language
    parent.save()
    dpo.language = "en" if language != "en" else "nl"  # the DPO's own language does not count
    dpo.save()
    text = _visible(_index(dpo, parent, settings, tmp_path, django_capture_on_commit_callbacks))
    for word in words:
        assert word in text, word
    assert "Trip to the zoo on Friday" in text


def test_the_readable_copy_shows_no_codes_or_ids(
        dpo: User, parent: User, teacher: User, admin: User, conversation_4b: Conversation,
        settings: Settings, tmp_path: Path,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    send.post_message(parent, conversation_4b, "Emma will be late")
    set_guardianship(parent, PupilFactory(school=parent.school, first_name="Noor"), actor=admin)
    text = _visible(_index(dpo, parent, settings, tmp_path, django_capture_on_commit_callbacks))
    assert not CODES.search(text), CODES.search(text)
    assert "Made Anna Jansen a guardian of Noor" in text
    assert "Name" in text and "Role" in text and "Parent or guardian" in text
    assert "+00:00" not in text  # times as a person writes them
