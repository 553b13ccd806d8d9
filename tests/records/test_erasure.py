"""Erasure: the DPO records a person's request, sees what the school must keep and what goes,
and confirms; afterwards no page, export, search result or event names the person, what the
records duty and legal holds keep remains, and the archive still verifies."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.actions.leavers import process_due_leavers, process_leaver
from accounts.models import Invitation, Role, School, User
from archive import chain
from archive.models import LegalHold, Record
from messaging.actions import direct, send
from messaging.events import message_event
from messaging.models import Attachment, Conversation, Message
from notifications.models import Device
from records import actions, erasure, export
from records.models import ErasureRequest
from records.tasks import anonymise_leavers
from tests.factories import SchoolFactory, UserFactory
from tests.records.searches import export_search

pytestmark = pytest.mark.django_db

NAME, EMAIL, PHONE = "Anna Jansen", "anna@example.invalid", "+31 6 5555 0101"


def _shows_nothing_of_anna(text: str) -> None:
    for secret in (NAME, EMAIL, PHONE, "Jansen"):
        assert secret not in text, secret


@pytest.fixture
def world(conversation_4b: Conversation, teacher: User, parent: User, dpo: User) -> dict[str, Any]:
    send.post_message(parent, conversation_4b, "Emma will be late on Monday")
    send.post_message(teacher, conversation_4b, "Thank you for letting me know")
    chat = direct.direct_conversation(teacher, parent)
    send.post_message(parent, chat, "Can we talk about the trip")
    Device.objects.create(user=parent, endpoint="https://push.example/anna", p256dh="k", auth="a")
    return {"chat": chat}


def _erase(client: Client, person: User, note: str = "By e-mail on Monday") -> ErasureRequest:
    answer = client.post(reverse("archive:erasure"), {"person": person.pk, "note": note})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    request = ErasureRequest.objects.get(person=person)
    page = client.get(reverse("archive:erasure_request", args=[request.pk])).content.decode()
    assert "What the school must keep" in page and "What erasing deletes" in page
    assert client.post(reverse("archive:erasure_confirm", args=[request.pk])).status_code == 302
    request.refresh_from_db()
    return request


def test_the_page_shows_what_is_kept_until_when_and_what_goes(
        client: Client, world: dict[str, Any], parent: User, dpo: User) -> None:
    client.force_login(dpo)
    client.post(reverse("archive:erasure"), {"person": parent.pk, "note": "Asked in person"})
    request = ErasureRequest.objects.get(person=parent)
    assert request.state == ErasureRequest.State.REQUESTED and request.requested_by == dpo
    page = client.get(reverse("archive:erasure_request", args=[request.pk])).content.decode()
    until = (timezone.localdate() + timedelta(days=400))
    assert "Group and class chat" in page and "One-to-one chat" in page and "400 days" in page
    assert str(until.year) in page
    assert "Their contact details (e-mail address and phone number)" in page
    assert "No legal hold covers this person." in page
    # Nothing changes before the confirmation.
    parent.refresh_from_db()
    assert parent.email == EMAIL and parent.is_active


def test_after_erasure_no_page_names_the_person(
        client: Client, world: dict[str, Any], parent: User, teacher: User, dpo: User,
        admin: User, conversation_4b: Conversation) -> None:
    client.force_login(dpo)
    request = _erase(client, parent)
    parent.refresh_from_db()
    name = erasure.pseudonym(parent)
    assert request.state == ErasureRequest.State.ERASED and name.startswith("Former parent ")
    assert parent.public_name == name and not parent.is_active
    assert (parent.email, parent.phone, parent.first_name, parent.last_name) == ("", "", "", "")
    assert not parent.has_usable_password() and not Device.objects.filter(user=parent).exists()

    # The DPO's pages: search, erasure, holds, exports, audit, the request itself.
    for page in ("archive:search", "archive:erasure", "archive:holds", "archive:exports",
                 "archive:audit", "archive:home"):
        _shows_nothing_of_anna(client.get(reverse(page)).content.decode())
    found = client.get(reverse("archive:search"), {"text": "late"}).content.decode()
    assert "Emma will be late on Monday" in found and name in found
    _shows_nothing_of_anna(client.get(reverse("archive:erasure_request",
                                              args=[request.pk])).content.decode())

    # The teacher's pages: the class group, the one-to-one, the inbox, the member list.
    client.force_login(teacher)
    for path in (f"/c/{conversation_4b.pk}/", f"/c/{world['chat'].pk}/", "/",
                 reverse("messaging:members", args=[conversation_4b.pk])):
        text = client.get(path).content.decode()
        _shows_nothing_of_anna(text)
    assert name in client.get(f"/c/{conversation_4b.pk}/").content.decode()

    # The school admin's dashboard, people list, the person's page and the audit log.
    client.force_login(admin)
    for path in (reverse("accounts:school_home"), reverse("accounts:school_people"),
                 reverse("accounts:school_person", args=[parent.pk]), reverse("records:school_audit")):
        answer = client.get(path)
        assert answer.status_code == 200, path
        _shows_nothing_of_anna(answer.content.decode())

    # The event a socket is sent for the kept message names the pseudonym.
    kept = Message.objects.get(body="Emma will be late on Monday")
    event = message_event(kept)
    assert event["sender"]["name"] == name
    _shows_nothing_of_anna(json.dumps(event))


def test_the_records_stay_and_the_archive_verifies(
        client: Client, world: dict[str, Any], parent: User, dpo: User) -> None:
    before = Record.objects.count()
    client.force_login(dpo)
    _erase(client, parent)
    assert Message.objects.filter(sender=parent).count() == 2
    assert Record.objects.count() > before
    record = Record.objects.get(kind=erasure.ERASED_KIND)
    assert record.subject_user_ids == [parent.pk]
    assert record.payload.content["pseudonym"] == erasure.pseudonym(parent)
    _shows_nothing_of_anna(json.dumps(record.payload.content))
    assert chain.verify().intact
    out = io.StringIO()
    call_command("verify_archive", stdout=out)
    assert "archive intact" in out.getvalue()


def test_the_pseudonym_is_stable_and_keyed(parent: User, teacher: User) -> None:
    assert erasure.pseudonym(parent) == erasure.pseudonym(User.objects.get(pk=parent.pk))
    assert len(erasure.pseudonym_code(parent.pk)) == 4


def test_a_legal_hold_keeps_the_persons_files_and_is_shown(
        client: Client, world: dict[str, Any], parent: User, dpo: User,
        conversation_4b: Conversation) -> None:
    actions.place_hold(dpo, parent, "Complaint under investigation")
    unsent = Attachment.objects.create(
        token="t" * 40, conversation=conversation_4b, uploader=parent, kind="pdf",
        content_type="application/pdf", name="note.pdf", size=3, sha256="0" * 64, file="x.pdf")
    client.force_login(dpo)
    client.post(reverse("archive:erasure"), {"person": parent.pk})
    request = ErasureRequest.objects.get(person=parent)
    page = client.get(reverse("archive:erasure_request", args=[request.pk])).content.decode()
    assert "Complaint under investigation" in page
    client.post(reverse("archive:erasure_confirm", args=[request.pk]))
    assert Attachment.objects.filter(pk=unsent.pk).exists()
    assert LegalHold.objects.filter(user=parent, lifted_at__isnull=True).exists()
    assert Record.objects.get(kind=erasure.ERASED_KIND).payload.content["kept_uploads"]
    assert chain.verify().intact


def test_unsent_uploads_and_invitations_go_without_a_hold(
        client: Client, world: dict[str, Any], parent: User, dpo: User,
        conversation_4b: Conversation) -> None:
    Attachment.objects.create(
        token="u" * 40, conversation=conversation_4b, uploader=parent, kind="pdf",
        content_type="application/pdf", name="note.pdf", size=3, sha256="0" * 64, file="y.pdf")
    AccessAttempt.objects.create(username=parent.username, ip_address="192.0.2.7", user_agent="x",
                                 get_data="", post_data="", http_accept="", path_info="/login/",
                                 failures_since_start=1)
    client.force_login(dpo)
    request = _erase(client, parent)
    assert not AccessAttempt.objects.exists() and request.erased["sign_in_attempts"] == 1
    assert not Attachment.objects.filter(uploader=parent, message__isnull=True).exists()
    assert not Invitation.objects.filter(user=parent).exists()
    assert request.erased["unsent_uploads"] == 1 and request.erased["devices"] == 1


def test_safeguarding_case_notes_in_the_archive_are_listed_as_kept(
        client: Client, world: dict[str, Any], parent: User, dpo: User) -> None:
    chain.record("safeguarding.note_added", scope=f"safeguarding:{parent.school_id}",
                       actor=dpo, subjects=[parent], payload={"case": 1})
    assert erasure.plan(parent).safeguarding == 1
    client.force_login(dpo)
    client.post(reverse("archive:erasure"), {"person": parent.pk})
    request = ErasureRequest.objects.get(person=parent)
    page = client.get(reverse("archive:erasure_request", args=[request.pk])).content.decode()
    assert "1 safeguarding case-note record is kept." in page


def test_another_persons_export_shows_the_pseudonym(
        client: Client, world: dict[str, Any], parent: User, teacher: User, dpo: User) -> None:
    client.force_login(dpo)
    _erase(client, parent)
    parent.refresh_from_db()
    data = export.collect(teacher)
    data.pop("_files")
    data.pop("_names")
    text = json.dumps(data, ensure_ascii=False)
    _shows_nothing_of_anna(text)
    assert erasure.pseudonym(parent) in text
    bundle = zipfile.ZipFile(io.BytesIO(export.bundle(export.collect(teacher))))
    _shows_nothing_of_anna(bundle.read("index.html").decode())
    _shows_nothing_of_anna(bundle.read("data.json").decode())


def test_a_search_export_shows_the_pseudonym(
        client: Client, world: dict[str, Any], parent: User, dpo: User) -> None:
    client.force_login(dpo)
    _erase(client, parent)
    parent.refresh_from_db()
    text = export_search(client, "text=late")["data.json"].decode()
    _shows_nothing_of_anna(text)
    assert erasure.pseudonym(parent) in text


def test_withdrawing_erases_nothing(client: Client, world: dict[str, Any], parent: User,
                                    dpo: User) -> None:
    client.force_login(dpo)
    client.post(reverse("archive:erasure"), {"person": parent.pk})
    request = ErasureRequest.objects.get(person=parent)
    assert client.post(reverse("archive:erasure_withdraw", args=[request.pk])).status_code == 302
    request.refresh_from_db()
    parent.refresh_from_db()
    assert request.state == ErasureRequest.State.WITHDRAWN and parent.email == EMAIL
    assert client.post(reverse("archive:erasure_confirm", args=[request.pk])).status_code == 302
    parent.refresh_from_db()
    assert parent.email == EMAIL


# --- Denial -------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", ["teacher", "parent", "admin", "parent_5a"])
def test_only_the_dpo_may_record_or_confirm_an_erasure(
        client: Client, request: pytest.FixtureRequest, persona: str, parent: User,
        teacher: User, dpo: User) -> None:
    made = erasure.record_request(dpo, teacher)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("archive:erasure")).status_code == 404
    assert client.post(reverse("archive:erasure"), {"person": parent.pk}).status_code == 404
    assert client.get(reverse("archive:erasure_request", args=[made.pk])).status_code == 404
    assert client.post(reverse("archive:erasure_confirm", args=[made.pk])).status_code == 404
    assert client.post(reverse("archive:erasure_withdraw", args=[made.pk])).status_code == 404
    made.refresh_from_db()
    teacher.refresh_from_db()
    assert made.state == ErasureRequest.State.REQUESTED and teacher.is_active
    assert list(ErasureRequest.objects.values_list("person_id", flat=True)) == [teacher.pk]


def test_another_schools_dpo_cannot_see_or_confirm(client: Client, teacher: User,
                                                   dpo: User) -> None:
    made = erasure.record_request(dpo, teacher)
    other = UserFactory(username="otherdpo", role=Role.DPO, school=SchoolFactory(slug="other"))
    client.force_login(other)
    assert client.get(reverse("archive:erasure_request", args=[made.pk])).status_code == 404
    assert client.post(reverse("archive:erasure_confirm", args=[made.pk])).status_code == 404
    assert client.post(reverse("archive:erasure"), {"person": teacher.pk}).status_code == 400
    with pytest.raises(Exception):
        erasure.record_request(other, teacher)
    made.refresh_from_db()
    assert made.state == ErasureRequest.State.REQUESTED


def test_the_dpo_cannot_erase_the_accounts_the_operator_manages(client: Client, dpo: User) -> None:
    lead = UserFactory(username="lead", role=Role.SAFEGUARDING, school=dpo.school)
    client.force_login(dpo)
    for person in (dpo, lead):
        assert client.post(reverse("archive:erasure"), {"person": person.pk}).status_code == 400
        with pytest.raises(ValidationError):
            erasure.record_request(dpo, person)
    assert not ErasureRequest.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client: Client, teacher: User, dpo: User) -> None:
    made = erasure.record_request(dpo, teacher)
    for url in (reverse("archive:erasure"), reverse("archive:erasure_request", args=[made.pk])):
        answer = client.get(url)
        assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))
    assert client.post(reverse("archive:erasure_confirm", args=[made.pk])).status_code == 302
    made.refresh_from_db()
    assert made.state == ErasureRequest.State.REQUESTED


# --- Leavers ------------------------------------------------------------------------------------

def _left(person: User, days_ago: int) -> None:
    process_leaver(person)
    User.objects.filter(pk=person.pk).update(left_at=timezone.now() - timedelta(days=days_ago))


def test_a_leaver_is_anonymised_after_the_schools_period_and_not_before(
        world: dict[str, Any], parent: User, teacher: User, admin: User, school: School) -> None:
    actions.set_retention(admin, school, {"leavers": 30})
    _left(parent, 29)
    process_due_leavers()
    parent.refresh_from_db()
    assert parent.email == EMAIL and not erasure.erased_ids()

    User.objects.filter(pk=parent.pk).update(left_at=timezone.now() - timedelta(days=31))
    process_due_leavers()  # the daily job's path and the process_leavers command's
    parent.refresh_from_db()
    assert parent.public_name == erasure.pseudonym(parent) and parent.email == ""
    request = ErasureRequest.objects.get(person=parent)
    assert request.state == ErasureRequest.State.ERASED and request.requested_by is None
    record = Record.objects.get(kind=erasure.ERASED_KIND)
    assert record.actor_id is None and record.payload.content["automatic"] is True
    assert Message.objects.filter(sender=parent).count() == 2
    assert chain.verify().intact
    # Running again changes nothing.
    assert erasure.anonymise_due_leavers() == 0


def test_the_command_and_the_beat_job_anonymise_due_leavers(
        world: dict[str, Any], parent: User) -> None:
    _left(parent, 400)
    call_command("process_leavers", stdout=io.StringIO())
    assert erasure.erased_ids() == {parent.pk}
    assert anonymise_leavers.delay().get() == 0


def test_a_held_leaver_is_not_anonymised(world: dict[str, Any], parent: User, dpo: User) -> None:
    actions.place_hold(dpo, parent, "Court order")
    _left(parent, 400)
    assert erasure.anonymise_due_leavers() == 0
    parent.refresh_from_db()
    assert parent.email == EMAIL
