"""A pupil's subject access export holds what was written about the pupil, as the DPO
reviewed it: in the demo school, Дмитрий's guardian wrote "Дмитрий will be late on Thursday
(dentist at 9:00)" in the 4B class group, and his export must hold it."""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings

import consent
from accounts.models import Pupil, Role, User
from archive import sections
from archive.models import AuditEntry, Record, SubjectAccessExport
from consent import actions as consent_actions
from messaging.actions import send
from messaging.models import Attachment, Conversation
from records import actions
from records.candidates import name_pattern, names
from tests.factories import SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db

DENTIST = "Дмитрий will be late on Thursday (dentist at 9:00)."


@pytest.fixture
def demo(db: None, settings: Settings, tmp_path: Path) -> dict[str, User]:
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", force=True, stdout=io.StringIO())
    return {u.username: u for u in User.objects.all()}


@pytest.fixture
def dmitri(demo: dict[str, User]) -> Pupil:
    return Pupil.objects.get(ref="P4B02")


def keys(pupil: Pupil) -> dict[str, str]:
    """Each candidate's key -> its text."""
    return {c.key: c.text for _s, found in sections.gather(pupil) for c in found}


def open_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as bundle:
        return {name: bundle.read(name) for name in bundle.namelist()}


def review(dpo: User, pupil: Pupil, leave_out: set[str],
           capture: DjangoCaptureOnCommitCallbacks) -> dict[str, bytes]:
    decisions = {key: (key not in leave_out, "Written about the pupil" if key not in leave_out
                       else "About another family")
                 for key in keys(pupil)}
    with capture(execute=True):
        export = actions.review_pupil_export(dpo, pupil, decisions)
    export.refresh_from_db()
    assert export.status == SubjectAccessExport.Status.DONE, export.error
    # Readable by the server's own user alone: it holds other people's words.
    assert stat.S_IMODE(os.stat(actions.export_path(export)).st_mode) == 0o600
    return open_zip(actions.export_path(export))


def dentist_key(pupil: Pupil) -> str:
    return next(k for k, text in keys(pupil).items() if text == DENTIST)


def test_the_reviewed_export_of_dmitri_holds_the_dentist_message(
        demo: dict[str, User], dmitri: Pupil,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    files = review(demo["dpo"], dmitri, set(), django_capture_on_commit_callbacks)
    data = json.loads(files["data.json"])
    html = files["index.html"].decode()
    about = [row for row in data["about_the_pupil"] if row["text"] == DENTIST]
    assert len(about) == 1 and about[0]["review"] == "reviewed"
    assert about[0]["place"] == "4B class group" and about[0]["section"] == "messages"
    # His guardian is a private individual: pseudonymised in the bundle, as everywhere.
    assert about[0]["by"] == "Parent 1" and "Olga Petrova" not in files["data.json"].decode()
    assert escape(DENTIST) in html
    assert data["review"]["status"] == "reviewed" and data["review"]["left_out"] == 0
    assert "Mr Lindqvist (DPO)" in data["review"]["by"]
    assert "reviewed" in html and "Written about the pupil" in html
    # The decisions are on record, in the archive and the audit log.
    record = Record.objects.get(kind="export.reviewed")
    assert record.actor_id == demo["dpo"].pk
    assert record.payload.content["decisions"][dentist_key(dmitri)]["include"] is True
    assert AuditEntry.objects.filter(action="export.reviewed", actor=demo["dpo"]).exists()


def test_a_left_out_candidate_is_nowhere_in_the_zip(
        demo: dict[str, User], dmitri: Pupil,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    left = dentist_key(dmitri)
    files = review(demo["dpo"], dmitri, {left}, django_capture_on_commit_callbacks)
    for name, content in files.items():
        if name.endswith((".json", ".html")):
            text = content.decode()
            assert "dentist" not in text and "About another family" not in text, name
    data = json.loads(files["data.json"])
    assert data["review"]["left_out"] == 1
    assert data["review"]["included"] == len(keys(dmitri)) - 1
    record = Record.objects.get(kind="export.reviewed")
    assert record.payload.content["decisions"][left] == {"include": False,
                                                         "reason": "About another family"}


def test_the_command_includes_every_candidate_marked_not_reviewed(
        demo: dict[str, User], dmitri: Pupil, tmp_path: Path) -> None:
    out = tmp_path / "dmitri.zip"
    call_command("export_subject_access", "--pupil", "P4B02", "--school", "demo",
                 "--out", str(out), stdout=io.StringIO())
    files = open_zip(out)
    data = json.loads(files["data.json"])
    assert data["review"]["status"] == "not reviewed"
    assert data["review"]["candidates"] == len(keys(dmitri)) == data["review"]["included"]
    assert DENTIST in {row["text"] for row in data["about_the_pupil"]}
    assert {row["review"] for row in data["about_the_pupil"]} == {"not reviewed"}
    html = files["index.html"].decode()
    assert escape(DENTIST) in html and "not reviewed" in html
    assert "were not reviewed" in html


def test_names_match_in_any_case_and_script_as_whole_words() -> None:
    dmitri, emma = name_pattern("Дмитрий"), name_pattern("Emma")
    assert names("дмитрий забыл шапку", dmitri)
    assert names("ДМИТРИЙ!", dmitri)
    assert not names("Дмитрийев пришёл", dmitri)
    assert names("emma's coat", emma) and names("EMMA", emma)
    assert not names("Emmanuel is ill", emma) and not names("Gemma is ill", emma)
    assert names("Emma  Jansen", name_pattern("Emma Jansen"))
    assert names("Zoë is ill", name_pattern("Zoe")) and names("ZOE", name_pattern("Zoë"))
    assert name_pattern("  ") is None


def test_the_given_name_counts_in_his_own_conversations_the_full_name_everywhere(
        demo: dict[str, User], dmitri: Pupil) -> None:
    class_5a = Conversation.objects.get(school_class__name="5A", kind="class")
    class_4b = Conversation.objects.get(school_class__name="4B", kind="class")
    send.post_message(demo["teacher"], class_4b, "дмитрий left his coat behind")
    send.post_message(demo["teacher5a"], class_5a, "Дмитрий from 4B will visit")  # another one
    send.post_message(demo["teacher5a"], class_5a, "дмитрий петров won the chess cup")
    send.post_message(demo["teacher"], class_4b, "Дмитрийевич is a patronymic")
    send.post_message(demo["teacher"], class_4b, "дМИТРИЙ found his hat")  # as a phone may type
    texts = set(keys(dmitri).values())
    assert {DENTIST, "дмитрий left his coat behind", "дмитрий петров won the chess cup",
            "дМИТРИЙ found his hat"} <= texts
    assert "Дмитрий from 4B will visit" not in texts
    assert "Дмитрийевич is a patronymic" not in texts
    # Nothing from another pupil's messages: Emma's are not his.
    assert not any("Emma" in text for text in texts)


def test_every_candidate_needs_a_decision_and_a_reason(demo: dict[str, User],
                                                       dmitri: Pupil) -> None:
    found = keys(dmitri)
    some = dict(list({k: (True, "ok") for k in found}.items())[:-1])
    with pytest.raises(ValidationError):
        actions.review_pupil_export(demo["dpo"], dmitri, some)
    with pytest.raises(ValidationError):
        actions.review_pupil_export(demo["dpo"], dmitri, {k: (True, " ") for k in found})
    assert not SubjectAccessExport.objects.exists()
    assert not Record.objects.filter(kind="export.reviewed").exists()


@pytest.fixture
def other_dpo(db: None) -> User:
    return UserFactory(school=SchoolFactory(), role=Role.DPO)


# The review page: the DPO of the pupil's school only; everyone else as for a missing page.
REVIEW_PAGE = {"dpo": 200, "admin": 404, "teacher": 404, "parent3": 404, "lead": 404,
               "head": 404, "other_dpo": 404}


@pytest.mark.parametrize(("persona", "status"), sorted(REVIEW_PAGE.items()))
def test_only_the_dpo_of_the_pupils_school_reviews(
        client: Client, demo: dict[str, User], dmitri: Pupil, request: pytest.FixtureRequest,
        persona: str, status: int) -> None:
    user = request.getfixturevalue("other_dpo") if persona == "other_dpo" else demo[persona]
    client.force_login(user)
    url = reverse("archive:review", args=[dmitri.pk])
    page = client.get(url)
    assert page.status_code == status
    if status == 200:
        assert escape(DENTIST) in page.content.decode()
        return
    assert "dentist" not in page.content.decode()
    decisions: dict[str, Any] = {}
    for key in keys(dmitri):
        decisions |= {f"decision-{key}": "include", f"reason-{key}": "x"}
    assert client.post(url, decisions).status_code == 404
    assert not SubjectAccessExport.objects.exists()
    assert not Record.objects.filter(kind="export.reviewed").exists()


def test_the_dpo_reviews_on_the_page_and_the_export_starts(
        client: Client, demo: dict[str, User], dmitri: Pupil,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    client.force_login(demo["dpo"])
    chosen = client.post(reverse("archive:exports"), {"pupil": dmitri.pk})
    url = reverse("archive:review", args=[dmitri.pk])
    assert chosen.status_code == 302 and chosen["Location"] == url
    assert not SubjectAccessExport.objects.exists()  # nothing before the review
    found = keys(dmitri)
    # A missing reason is refused with a sentence, and nothing starts.
    incomplete = {f"decision-{k}": "include" for k in found}
    answer = client.post(url, incomplete)
    assert answer.status_code == 400
    assert "Give the reason for this decision." in answer.content.decode()
    assert not SubjectAccessExport.objects.exists()
    decisions = incomplete | {f"reason-{k}": "About him" for k in found}
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(url, decisions)
    assert started.status_code == 302
    export = SubjectAccessExport.objects.get(subject_pupil=dmitri)
    assert export.status == "done"
    download = client.get(reverse("archive:download", args=[export.pk]))
    bundle = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))  # type: ignore[attr-defined]
    assert DENTIST in bundle.read("data.json").decode()


@pytest.fixture
def tagged_photo(demo: dict[str, User], dmitri: Pupil, tmp_path: Path) -> Attachment:
    class_4b = Conversation.objects.get(school_class__name="4B", kind="class")
    consent_actions.decide(demo["parent3"], dmitri, consent.PHOTOS_CLASS, "granted")
    (tmp_path / "zoo.jpg").write_bytes(b"jpg")
    attachment = Attachment.objects.create(
        token="z" * 40, conversation=class_4b, uploader=demo["teacher"], kind="image",
        content_type="image/jpeg", name="zoo.jpg", size=3, sha256="0" * 64, file="zoo.jpg")
    attachment.pupils.add(dmitri)
    send.post_message(demo["teacher"], class_4b, "The trip to the zoo", attachments=[attachment])
    attachment.refresh_from_db()
    return attachment


@pytest.mark.parametrize("photo_included", [True, False])
def test_a_left_out_photo_and_consent_record_are_not_in_the_zip(
        demo: dict[str, User], dmitri: Pupil, tagged_photo: Attachment, photo_included: bool,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    found = keys(dmitri)
    photo = f"photo:{tagged_photo.pk}"
    consent = sorted(k for k in found if k.startswith("consent:"))
    assert photo in found and consent  # the demo's guardians decided on photo consent
    left = {consent[0]} | (set() if photo_included else {photo})
    files = review(demo["dpo"], dmitri, left, django_capture_on_commit_callbacks)
    data = json.loads(files["data.json"])
    held = [name for name in files if name.startswith("attachments/")]
    assert len(data["consent_records"]) == len(consent) - 1
    assert int(consent[0].split(":")[1]) not in {c["consent_record"]
                                                 for c in data["consent_records"]}
    text = files["data.json"].decode() + files["index.html"].decode()
    if photo_included:
        assert len(held) == 1 and files[held[0]] == b"jpg"
        assert "zoo.jpg" in text and "The trip to the zoo" in text
    else:
        assert held == [] and "zoo.jpg" not in text and "The trip to the zoo" not in text
