"""Who may see a photo: one answer (messaging.attachments.shown_ids) for the file itself, the
conversation page, the history the browser loads, and the subject access export.

A withdrawal counts at once: the photo is down even while the job that marks it hidden has not
run yet (a busy or failing worker), and an export no longer hands it out, except to the tagged
pupil's own export."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

import consent
from accounts.models import Guardianship, Pupil, School, SchoolClass, User
from consent import actions as consent_actions
from messaging.actions import membership, send
from messaging.actions.attachments import upload
from messaging.models import Attachment, Conversation
from tests.factories import PupilFactory, UserFactory, enrol
from tests.messaging.images import photo_with_location

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def emma(parent: User) -> Pupil:
    return Guardianship.objects.get(guardian=parent).pupil


@pytest.fixture
def other_parent(school: School, class_4b: SchoolClass, conversation_4b: Conversation,
                 admin: User) -> User:
    user = UserFactory(username="noah_parent", display_name="Sam Bakker", school=school)
    enrol(PupilFactory(school=school, first_name="Noah"), class_4b, user)
    membership.add_member(conversation_4b, user, actor=admin)
    return user


@pytest.fixture
def photo(school: School, teacher: User, parent: User, emma: Pupil, conversation_4b: Conversation,
          other_parent: User) -> Attachment:
    consent_actions.ensure_purposes(school)
    consent_actions.decide(parent, emma, consent.PHOTOS_CLASS, "granted")
    stored = upload(teacher, conversation_4b,
                    SimpleUploadedFile("museum.jpg", photo_with_location()), pupils=[emma])
    send.post_message(teacher, conversation_4b, "At the museum", attachments=[stored])
    return stored


@pytest.fixture
def withdrawn_unprocessed(monkeypatch: pytest.MonkeyPatch, parent: User, emma: Pupil,
                          photo: Attachment) -> Attachment:
    """Emma's photo consent withdrawn, the hiding job not run (yet)."""
    from messaging import tasks

    monkeypatch.setattr(tasks.hide_photos, "delay", lambda *args, **kwargs: None)
    consent_actions.decide(parent, emma, consent.PHOTOS_CLASS, "withdrawn")
    assert Attachment.objects.get(pk=photo.pk).hidden_at is None
    return photo


def test_before_a_withdrawal_members_see_the_photo(client: Client, photo: Attachment, other_parent: User,
                                                   conversation_4b: Conversation) -> None:
    client.force_login(other_parent)
    assert client.get(reverse("messaging:attachment", args=[photo.token])).status_code == 200
    page = client.get(reverse("messaging:conversation", args=[conversation_4b.pk]))
    assert reverse("messaging:attachment_thumbnail", args=[photo.token]) in page.content.decode()


def test_a_withdrawal_takes_the_photo_down_everywhere_at_once(client: Client,
                                                              withdrawn_unprocessed: Attachment,
                                                              other_parent: User,
                                                              conversation_4b: Conversation) -> None:
    photo = withdrawn_unprocessed
    client.force_login(other_parent)
    for name in ("messaging:attachment", "messaging:attachment_thumbnail"):
        assert client.get(reverse(name, args=[photo.token])).status_code == 404
    page = client.get(reverse("messaging:conversation", args=[conversation_4b.pk])).content
    assert "hidden: consent withdrawn" in page.decode()
    assert reverse("messaging:attachment", args=[photo.token]) not in page.decode()
    history = client.get(reverse("messaging:messages", args=[conversation_4b.pk])).json()
    assert history["messages"][-1]["attachments"] == [{"token": photo.token, "hidden": True}]


def export(tmp_path: Path, *args: str) -> dict[str, bytes]:
    out = tmp_path / "export.zip"
    call_command("export_subject_access", *args, "--out", str(out), stdout=io.StringIO())
    with zipfile.ZipFile(out) as bundle:
        return {name: bundle.read(name) for name in bundle.namelist()}


def test_an_export_does_not_hand_out_a_withdrawn_photo_of_another_child(
        tmp_path: Path, withdrawn_unprocessed: Attachment, other_parent: User, emma: Pupil) -> None:
    files = export(tmp_path, "--user", other_parent.username)
    data = json.loads(files["data.json"])
    described = next(m for m in data["messages"] if m["body"] == "At the museum")
    assert described["attachments"][0]["hidden"] is True
    assert described["attachments"][0]["file"] is None
    assert not any(name.startswith("attachments/") for name in files)
    # The pupil's own export still holds the photo of them.
    own = export(tmp_path, "--pupil", emma.ref)
    mine = next(m for m in json.loads(own["data.json"])["messages"]
                if m["body"] == "At the museum")
    assert mine["attachments"][0]["file"] in own
