"""Attachments in the archive: exported with the messages, tagged photos found by pupil, and
deleted from disk by retention."""

import hashlib
import io
import json
import os
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings

import consent
from accounts.models import Guardianship, Pupil, School, User
from archive import chain, retention
from consent import actions as consent_actions
from messaging.actions import send
from messaging.actions.attachments import upload
from messaging.models import Attachment, Conversation
from tests.messaging.images import photo_with_location

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def emma(parent: User) -> Pupil:
    return Guardianship.objects.get(guardian=parent).pupil


@pytest.fixture
def tagged_photo(school: School, teacher: User, parent: User, emma: Pupil,
                 conversation_4b: Conversation) -> Attachment:
    consent_actions.ensure_purposes(school)
    consent_actions.decide(parent, emma, consent.PHOTOS_CLASS, "granted")
    photo = upload(teacher, conversation_4b, SimpleUploadedFile("trip.jpg", photo_with_location()),
                   pupils=[emma])
    send.post_message(teacher, conversation_4b, "Emma at the museum", attachments=[photo])
    photo.refresh_from_db()
    return photo


@pytest.fixture
def leaflet(teacher: User, conversation_4b: Conversation) -> Attachment:
    pdf = upload(teacher, conversation_4b, SimpleUploadedFile("leaflet.pdf", b"%PDF-1.4 trip"))
    send.post_message(teacher, conversation_4b, "The leaflet", attachments=[pdf])
    pdf.refresh_from_db()
    return pdf


def export(tmp_path: Path, *args: str) -> dict[str, bytes]:
    out = tmp_path / "export.zip"
    call_command("export_subject_access", *args, "--out", str(out), stdout=io.StringIO())
    with zipfile.ZipFile(out) as bundle:
        return {name: bundle.read(name) for name in bundle.namelist()}


def test_attachments_travel_in_the_export_with_their_hashes(leaflet: Attachment, parent: User,
                                                            tmp_path: Path) -> None:
    files = export(tmp_path, "--user", parent.username)
    data = json.loads(files["data.json"])
    message = next(m for m in data["messages"] if m["body"] == "The leaflet")
    path = message["attachments"][0]["file"]
    assert path.startswith("attachments/") and files[path] == b"%PDF-1.4 trip"
    manifest = json.loads(files["manifest.json"])
    assert manifest["files"][path] == hashlib.sha256(files[path]).hexdigest()
    assert f'href="{path}"' in files["index.html"].decode()


def test_a_pupil_export_holds_the_photos_tagging_them(tagged_photo: Attachment, emma: Pupil,
                                                      tmp_path: Path) -> None:
    files = export(tmp_path, "--pupil", emma.ref)
    data = json.loads(files["data.json"])
    photo = next(m for m in data["messages"] if m["body"] == "Emma at the museum")
    assert photo["attachments"][0]["tagged_pupils"] == [f"{emma.first_name} {emma.last_name}"]
    assert photo["attachments"][0]["file"] in files


def test_retention_deletes_attachment_rows_and_files(
        leaflet: Attachment, tmp_path: Path,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    stored = leaflet.file.path
    with django_capture_on_commit_callbacks(execute=True):
        retention.apply_retention(timezone.now() + timedelta(days=401))
    assert not Attachment.objects.filter(pk=leaflet.pk).exists()
    assert not os.path.exists(stored)
    assert chain.verify().intact


def test_a_shorter_attachments_policy_purges_messages_with_files_first(
    leaflet: Attachment, teacher: User, conversation_4b: Conversation, admin: User, school: School,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    from messaging.models import Message
    from records import actions as archive_actions

    plain, _ = send.post_message(teacher, conversation_4b, "No attachment here")
    archive_actions.set_retention(admin, school, {"attachments": 30})
    later = timezone.now() + timedelta(days=31)
    rows = {r.category: r for r in retention.forecast(school, later - timedelta(days=5))}
    assert rows["attachments"].due == 1
    with django_capture_on_commit_callbacks(execute=True):
        retention.apply_retention(later)
    assert leaflet.message_id is not None
    assert not Message.objects.filter(pk=leaflet.message_id).exists()
    assert Message.objects.filter(pk=plain.pk).exists()
    assert not os.path.exists(leaflet.file.path)
