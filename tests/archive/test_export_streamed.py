"""The streamed subject access export writes, file for file, the bundle built in memory.

``records.export.write`` reads the messages a chunk at a time and writes the ZIP member by
member; ``collect`` + ``bundle`` (still what a reviewed pupil's export uses) build the same
bundle in memory. For a school with what makes an export hard (several parents to
pseudonymise, a photo tagging a pupil, a hidden photo, a message marked sensitive, messages
purged under retention, an edit and a retraction, two groups with the same name and one
between them), every file of the two must be byte for byte the same, whatever the chunk size.
"""

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from pytest_django.fixtures import Settings

import consent
from accounts.models import Guardianship, Pupil, Role, School, User
from archive import retention
from consent import actions as consent_actions
from messaging.actions import edit, groups, send, sensitive
from messaging.actions.attachments import upload
from messaging.models import Conversation
from records import export
from tests.messaging.images import photo_with_location

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _media(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def busy_school(school: School, teacher: User, parent: User, parent_5a: User,
                conversation_4b: Conversation) -> dict[str, object]:
    """A school whose export has pseudonyms, photos, a sensitive message, purged messages and
    groups that share a name."""
    emma = Guardianship.objects.get(guardian=parent).pupil
    others = [User.objects.create(username=f"other-{i}", role=Role.PARENT, school=school,
                                  display_name=f"Other Parent {i}") for i in range(3)]
    send.post_message(teacher, conversation_4b, "Swimming on Tuesday, this will be purged")
    # Purged under retention: the chat so far is past the group policy.
    retention.apply_retention(timezone.now() + timedelta(days=401))
    trips = []
    for title in ("Trip", "Choir", "Trip"):
        group = groups.create_group(school, title, actor=None)
        for member in (teacher, parent, *others):
            groups.add_group_member(group, member, actor=None)
        trips.append(group)
    for n, group in enumerate(trips):
        for i, sender in enumerate((others[2], parent, others[0], teacher, others[1])):
            send.post_message(sender, group, f"<b>{group.title}</b> message {n}-{i} & more")
    consent_actions.ensure_purposes(school)
    consent_actions.decide(parent, emma, consent.PHOTOS_CLASS, "granted")
    photo = upload(teacher, conversation_4b, SimpleUploadedFile("trip.jpg", photo_with_location()),
                   pupils=[emma])
    send.post_message(teacher, conversation_4b, "Emma at the museum", attachments=[photo])
    leaflet = upload(teacher, conversation_4b, SimpleUploadedFile("leaflet.pdf", b"%PDF-1.4"))
    send.post_message(teacher, conversation_4b, "The leaflet", attachments=[leaflet])
    marked, _ = send.post_message(teacher, conversation_4b, "About the allergy plan")
    sensitive.mark_sensitive(teacher, marked, "health")
    said, _ = send.post_message(parent, conversation_4b, "See you Fridya")
    edit.edit_message(parent, said, "See you Friday")
    gone, _ = send.post_message(parent, conversation_4b, "Wrong group, sorry")
    edit.retract_message(parent, gone)
    # The photo hidden again after a withdrawal: described, its file left out.
    consent_actions.decide(parent, emma, consent.PHOTOS_CLASS, "withdrawn")
    return {"emma": emma, "others": others}


def members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as bundle:
        return {name: bundle.read(name) for name in bundle.namelist()}


def streamed(tmp_path: Path, user: User | None = None, pupil: Pupil | None = None) -> dict[str, bytes]:
    out = tmp_path / "streamed.zip"
    export.write(out, user, pupil, now=NOW)
    return members(out.read_bytes())


def in_memory(user: User | None = None, pupil: Pupil | None = None) -> dict[str, bytes]:
    return members(export.bundle(export.collect(user, pupil, now=NOW)))


@pytest.mark.parametrize("chunk", [1, 3, 500])
@pytest.mark.parametrize("language", ["en", "nl", "ru"])
def test_the_streamed_export_writes_the_same_files_as_the_bundle_in_memory(
        busy_school: dict[str, object], teacher: User, parent: User, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, chunk: int, language: str) -> None:
    monkeypatch.setattr(export, "CHUNK", chunk)
    emma = busy_school["emma"]
    assert isinstance(emma, Pupil)
    with translation.override(language):
        for subject in ({"user": parent}, {"user": teacher}, {"pupil": emma}):
            expected = in_memory(**subject)
            assert streamed(tmp_path, **subject) == expected


def test_what_the_comparison_covers(busy_school: dict[str, object], parent: User,
                                    tmp_path: Path) -> None:
    """The fixture has what could make a stream differ from the bundle in memory."""
    files = streamed(tmp_path, parent)
    data = json.loads(files["data.json"])
    html = files["index.html"].decode()
    assert data["purged_messages"] > 0
    senders = {m["sender"] for m in data["messages"]}
    assert {"Parent 1", "Parent 2", "Parent 3"} <= senders
    assert any(m.get("sensitive") == "health" for m in data["messages"])
    assert {m["kind"] for m in data["messages"]} >= {"posted", "edited", "retracted"}
    photos = [a for m in data["messages"] for a in m["attachments"]]
    assert any(a["hidden"] and a["file"] is None for a in photos)
    assert any(a["file"] for a in photos) and any(a["file"] in files for a in photos if a["file"])
    # Two groups named "Trip": one table for both, as the bundle in memory has it.
    assert html.count("<h3>Trip</h3>") == 1
    assert "&lt;b&gt;Trip&lt;/b&gt; message 2-0 &amp; more" in html
    assert set(json.loads(files["manifest.json"])["files"]) == set(files) - {"manifest.json"}


def test_a_subject_with_no_messages(school: School, admin: User, tmp_path: Path) -> None:
    files = streamed(tmp_path, admin)
    assert files == in_memory(admin)
    assert json.loads(files["data.json"])["messages"] == []
