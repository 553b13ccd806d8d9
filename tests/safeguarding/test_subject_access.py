"""Safeguarding records and subject access exports: a person reported must not be able to find
who reported them, from what their export says or from the hashes it lists.

Safeguarding records stay out of every export unless the DPO releases one (with a reason, on
record), and a released one never names the reporter."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Pupil, Role, User
from archive.chain import GENESIS, payload_digest, record_digest
from archive.models import AuditEntry, Record
from messaging.actions import send
from messaging.models import Conversation
from records import actions as records_actions
from records import releases
from safeguarding import actions
from safeguarding.models import Report
from tests.factories import SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _export(tmp_path: Path, *, user: User | None = None, pupil: Pupil | None = None) -> dict[str, str]:
    out = tmp_path / f"export-{user.pk if user else 'p'}-{len(list(tmp_path.iterdir()))}.zip"
    records_actions.export_to_file(out, user=user, pupil=pupil)
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as bundle:
        return {name: bundle.read(name).decode() for name in bundle.namelist()
                if not name.startswith("attachments/")}


def _withheld() -> list[Record]:
    return list(Record.objects.filter(releases.withheld()))


@pytest.fixture
def reported(conversation_4b: Conversation, teacher: User, parent: User, lead: User) -> Report:
    """Anna reports Ms de Vries's message with no note; the lead looks, decides, restricts."""
    unkind, _ = send.post_message(teacher, conversation_4b, "Your child never listens")
    report = actions.report_message(parent, unkind, reason="bullying", note="")
    actions.look(lead, report, reason="Checking the report")
    actions.notify_dpo(lead, report, note="Keep an eye on this")
    second = actions.report_person(parent, teacher, reason="other", note="")
    actions.restrict(lead, second, until=second.created_at.replace(year=2099), reason="Repeated")
    return report


def test_the_reported_persons_export_holds_no_safeguarding_record(
        reported: Report, teacher: User, parent: User, tmp_path: Path) -> None:
    files = _export(tmp_path, user=teacher)
    data = json.loads(files["data.json"])
    kinds = {e["kind"] for e in data["events"]}
    assert not {k for k in kinds if k.startswith("safeguarding.")}
    assert not kinds & set(releases.MODERATION_KINDS)
    assert data["safeguarding"] == []
    withheld = _withheld()
    assert {r.kind for r in withheld} >= {"safeguarding.reported", "safeguarding.looked",
                                          "safeguarding.restricted", "member.restricted"}
    bundle = "".join(files.values())
    for record in withheld:
        assert record.hash not in bundle
    assert parent.public_name not in bundle
    # Their message itself is theirs, and is there.
    assert "Your child never listens" in files["index.html"]


def test_a_pupils_export_holds_no_case_note(parent: User, lead: User, tmp_path: Path) -> None:
    emma = Pupil.objects.get(first_name="Emma")
    actions.add_case_note(lead, emma, text="Seemed upset at pick-up")
    note = Record.objects.get(kind="safeguarding.case_note")
    assert note.subject_pupil_ids == [emma.pk]
    files = _export(tmp_path, pupil=emma)
    assert "safeguarding.case_note" not in files["data.json"]
    assert note.hash not in "".join(files.values())


def _reporter_guesses(report: Report) -> list[tuple[User, str, str]]:
    """The attack: every (person, reason) pair from the school's people, with an empty note,
    hashed as the report's record would be, in the payload's old form (names) and its current
    one (ids), with and without the reporter among the subjects. The attacker is given
    everything else about the record: its chain, position, time, previous hash, message."""
    record = Record.objects.get(kind="safeguarding.reported", payload__content__report=report.pk)
    message = report.message
    assert message is not None
    conversation = message.conversation
    guesses = []
    for person in User.objects.filter(school_id=report.school_id):
        for reason in Report.Reason.values:
            ids = {"report": report.pk, "reason": reason, "note": "", "reporter": person.pk,
                   "message": message.pk, "conversation": conversation.pk,
                   "person": message.sender_id}
            named = ids | {"reporter_name": person.public_name, "reporter_role": person.role,
                           "conversation_name": conversation.name,
                           "person_name": message.sender.public_name}
            for payload in (ids, named):
                for users in (sorted({message.sender_id, person.pk}), [message.sender_id]):
                    guess = Record(scope=record.scope, position=record.position,
                                   kind=record.kind, created_at=record.created_at,
                                   actor_id=None, subject_user_ids=users, subject_pupil_ids=[],
                                   message_id=None, payload_hash=payload_digest(payload),
                                   prev_hash=record.prev_hash)
                    guesses.append((person, reason, record_digest(guess)))
    return guesses


def test_trying_every_person_and_reason_against_the_export_finds_no_reporter(
        reported: Report, teacher: User, tmp_path: Path) -> None:
    files = _export(tmp_path, user=teacher)
    data = json.loads(files["data.json"])
    manifest = json.loads(files["manifest.json"])
    exported: set[str] = {e["record_hash"] for e in data["events"]}
    exported |= {m["record_hash"] for m in data["messages"]}
    exported |= {head["hash"] for head in manifest["chain_heads"].values()}
    exported.discard(GENESIS)
    guesses = _reporter_guesses(reported)
    assert len(guesses) >= 5 * 2 * 2 * User.objects.filter(school_id=reported.school_id).count()
    assert [(p.username, r) for p, r, digest in guesses if digest in exported] == []


def test_a_leaked_record_hash_tells_nothing_about_the_reporter(reported: Report) -> None:
    """Even holding the record's own hash, the guesses fail: its payload carries a random salt."""
    record = Record.objects.get(kind="safeguarding.reported", payload__content__report=reported.pk)
    salt = record.payload.content["salt"]
    assert isinstance(salt, str) and len(bytes.fromhex(salt)) >= 16
    assert [(p.username, r) for p, r, digest in _reporter_guesses(reported)
            if digest == record.hash] == []


def _release(by: User | Client, record: Record, subject: str, reason: str) -> Any:
    client = by if isinstance(by, Client) else _client(by)
    return client.post(reverse("archive:release", args=[record.pk]),
                            {"subject": subject, "reason": reason, "page": "1"})


def test_the_dpo_releases_a_report_into_the_export_without_its_reporter(
        reported: Report, teacher: User, parent: User, dpo: User, tmp_path: Path) -> None:
    record = Record.objects.get(kind="safeguarding.reported", payload__content__report=reported.pk)
    oversight = _client(dpo).get(reverse("safeguarding:oversight")).content.decode()
    assert reverse("archive:release", args=[record.pk]) in oversight
    assert f'value="user:{teacher.pk}"' in oversight

    response = _release(dpo, record, f"user:{teacher.pk}", "Asked for it by her lawyer")
    assert response.status_code == 302
    made = Record.objects.get(kind="export.released")
    assert made.actor == dpo and made.subject_user_ids == [teacher.pk]
    assert made.payload.content["record"] == record.pk
    assert made.payload.content["reason"] == "Asked for it by her lawyer"
    assert AuditEntry.objects.filter(actor=dpo, action="export.released").exists()
    page = _client(dpo).get(reverse("safeguarding:oversight")).content.decode()
    assert "Released into the subject access export of Ms de Vries." in page

    files = _export(tmp_path, user=teacher)
    data = json.loads(files["data.json"])
    [item] = data["safeguarding"]
    assert item["kind"] == "safeguarding.reported" and item["record"] == record.pk
    assert item["released_because"] == "Asked for it by her lawyer"
    assert "Bullying" in item["description"] and item["by"] == "not shown"
    assert "record_hash" not in item
    bundle = "".join(files.values())
    assert parent.public_name not in bundle and parent.username not in bundle
    assert record.hash not in bundle
    assert "Asked for it by her lawyer" in files["index.html"]
    assert "Who reported it is not shown." in files["index.html"]
    # Only that record: the rest stays withheld.
    assert [e for e in data["events"] if e["kind"].startswith("safeguarding.")] == []
    # The release itself is among the recorded events: the person sees that it was released.
    assert "export.released" in {e["kind"] for e in data["events"]}


def test_a_release_needs_a_reason_and_a_person_the_record_is_about(
        reported: Report, teacher: User, parent: User, dpo: User) -> None:
    record = Record.objects.get(kind="safeguarding.reported", payload__content__report=reported.pk)
    client = _client(dpo)
    response = _release(client, record, f"user:{teacher.pk}", "  ")
    assert response.status_code == 302
    follow = client.get(response["Location"]).content.decode()
    assert "Give the reason for releasing it." in follow
    # The reporter is no subject of the report: it cannot be released into their export
    # (which would say nothing of use, and is not the person it is about).
    _release(client, record, f"user:{parent.pk}", "A reason")
    assert "Choose a person the record is about." in client.get(
        reverse("safeguarding:oversight")).content.decode()
    assert not Record.objects.filter(kind="export.released").exists()
    # An ordinary record (a message) is not withheld: nothing to release, as if absent.
    posted = Record.objects.filter(kind="message.posted").first()
    assert posted is not None
    assert _release(dpo, posted, f"user:{teacher.pk}", "A reason").status_code == 404


def test_only_the_schools_dpo_may_release(reported: Report, teacher: User, lead: User,
                                          admin: User) -> None:
    other_dpo = UserFactory(username="otherdpo", display_name="Mr Elders", role=Role.DPO,
                            school=SchoolFactory(name="Other", slug="other"))
    record = Record.objects.get(kind="safeguarding.reported", payload__content__report=reported.pk)
    for someone in (teacher, lead, admin, other_dpo):
        assert _release(someone, record, f"user:{teacher.pk}", "A reason").status_code == 404
    assert not Record.objects.filter(kind="export.released").exists()
