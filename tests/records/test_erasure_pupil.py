"""Erasing a pupil: the pupil record (the name consent, photo tags, class lists and guardians'
pages show) takes the pseudonym too, its date of birth and reference go, the consent decisions
the records duty keeps stay and read the pseudonym; no page, export, search result or event
shows the pupil's name afterwards, and the archive still verifies."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

import consent
from accounts.actions.people import create_pupil_account
from accounts.models import Guardianship, Pupil, Role, School, User
from archive import chain
from archive.models import Record
from consent import actions as consent_actions
from consent.models import ConsentRecord
from messaging.actions import send
from messaging.events import message_event
from messaging.models import Attachment, Conversation, Message
from records import erasure, export
from records.models import ErasureRequest
from safeguarding import actions as safeguarding_actions
from tests.factories import SchoolFactory, UserFactory
from tests.records.searches import export_search

pytestmark = pytest.mark.django_db

FIRST, LAST = "Emmelie", "Verstappen"


def _shows_nothing_of_emma(text: str) -> None:
    for secret in (FIRST, LAST, "2016-03-14", "P-EMMA-1"):
        assert secret not in text, secret


@pytest.fixture
def lead(school: School) -> User:
    return UserFactory(username="lead", display_name="Mr Veilig", role=Role.SAFEGUARDING,
                       school=school)


@pytest.fixture
def emma(school: School, parent: User) -> Pupil:
    School.objects.filter(pk=school.pk).update(pupil_accounts=True)
    pupil = Guardianship.objects.get(guardian=parent).pupil
    Pupil.objects.filter(pk=pupil.pk).update(first_name=FIRST, last_name=LAST, ref="P-EMMA-1",
                                             date_of_birth=date(2016, 3, 14))
    pupil.refresh_from_db()
    return pupil


@pytest.fixture
def world(emma: Pupil, parent: User, teacher: User, lead: User,
          conversation_4b: Conversation) -> dict[str, Any]:
    consent_actions.ensure_purposes(emma.school)
    decision = consent_actions.decide(parent, emma, consent.PHOTOS_CLASS, "granted")
    photo, _ = send.post_message(teacher, conversation_4b, "The trip to the zoo")
    attachment = Attachment.objects.create(
        token="z" * 40, conversation=conversation_4b, uploader=teacher, kind="image",
        content_type="image/jpeg", name="zoo.jpg", size=3, sha256="0" * 64, file="zoo.jpg",
        message=photo)
    attachment.pupils.add(emma)
    safeguarding_actions.add_case_note(lead, emma, text="Seemed upset on Monday")
    return {"decision": decision, "photo": photo}


def _erase_emma(client: Client, dpo: User, emma: Pupil,
                mode: str) -> tuple[str, ErasureRequest]:
    """``mode``: "account" (Emma has an account, the DPO chooses it), "pupil" (the DPO chooses
    her pupil record, which has an account) or "record" (a pupil record without an account)."""
    account = create_pupil_account(emma, actor=None) if mode != "record" else None
    client.force_login(dpo)
    erasure_page = client.get(reverse("archive:erasure")).content.decode()
    pupils = erasure_page[erasure_page.index('name="pupil"'):]
    assert f'value="{emma.pk}"' in pupils[:pupils.index("</select>")]
    if account is not None:
        assert f'value="{account.pk}"' in erasure_page  # the pupil's account can be chosen
    chosen = {"person": account.pk} if mode == "account" and account else {"pupil": emma.pk}
    answer = client.post(reverse("archive:erasure"), {**chosen, "note": "By letter"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    request = ErasureRequest.objects.get(pupil=emma)
    assert request.person == account
    page = client.get(reverse("archive:erasure_request", args=[request.pk])).content.decode()
    assert "Their pupil record&#x27;s name, date of birth" in page
    assert "What the school must keep" in page and "Consent" in page
    _shows_nothing_of_emma(page.split("<h1>")[0])  # the title
    assert client.post(reverse("archive:erasure_confirm", args=[request.pk])).status_code == 302
    request.refresh_from_db()
    emma.refresh_from_db()
    name = erasure.pseudonym(account) if account is not None else erasure.pupil_pseudonym(emma)
    return name, request


MODES = ["account", "pupil", "record"]


@pytest.mark.parametrize("mode", MODES)
def test_erasing_a_pupil_pseudonymises_their_pupil_record(
        client: Client, world: dict[str, Any], emma: Pupil, parent: User, teacher: User,
        admin: User, lead: User, dpo: User, conversation_4b: Conversation, mode: str) -> None:
    name, request = _erase_emma(client, dpo, emma, mode)
    assert request.state == ErasureRequest.State.ERASED
    assert name.startswith("Former pupil ") and str(emma) == name
    assert erasure.pupil_pseudonym(emma) == name
    assert emma.date_of_birth is None and emma.ref.startswith("erased-")
    assert emma.left_on is not None  # the consent period runs from today
    # The consent decision the records duty keeps is still there, about the pseudonym.
    assert ConsentRecord.objects.filter(pk=world["decision"].pk, pupil=emma).exists()
    assert Guardianship.objects.filter(guardian=parent, pupil=emma).exists()
    assert list(world["photo"].attachments.get().pupils.all()) == [emma]

    # The school admin: the class, the pupil's page, the guardian's page, people, leavers.
    client.force_login(admin)
    for path in (reverse("accounts:school_class", args=[conversation_4b.school_class_id]),
                 reverse("accounts:school_pupil", args=[emma.pk]),
                 reverse("accounts:school_person", args=[parent.pk]),
                 *([reverse("accounts:school_person", args=[request.person_id])]
                   if request.person_id else []),
                 reverse("accounts:school_people"), reverse("accounts:school_leavers"),
                 reverse("records:school_audit")):
        answer = client.get(path)
        assert answer.status_code == 200, path
        _shows_nothing_of_emma(answer.content.decode())
        assert emma.ref not in answer.content.decode(), path  # no stand-in code either
    assert name in client.get(reverse("accounts:school_pupil", args=[emma.pk])).content.decode()
    assert name in client.get(reverse("accounts:school_person",
                                      args=[parent.pk])).content.decode()

    # The guardian's consent page and home; the teacher's consent coverage, tags and chat.
    client.force_login(parent)
    for path in (reverse("consent:index"), "/", f"/c/{conversation_4b.pk}/"):
        _shows_nothing_of_emma(client.get(path).content.decode())
    client.force_login(teacher)
    for path in (reverse("consent:coverage", args=[conversation_4b.school_class_id]),
                 reverse("messaging:class_pupils", args=[conversation_4b.pk]),
                 f"/c/{conversation_4b.pk}/"):
        _shows_nothing_of_emma(client.get(path).content.decode())

    # The lead's case notes: the heading reads the pseudonym, the note is kept as written.
    client.force_login(lead)
    notes = client.get(reverse("safeguarding:case_notes", args=[emma.pk]))
    assert notes.status_code == 200
    text = notes.content.decode()
    _shows_nothing_of_emma(text)
    assert name in text and "Seemed upset on Monday" in text

    # The DPO's search (by pupil and by text), holds, exports, audit.
    client.force_login(dpo)
    for path, query in ((reverse("archive:search"), {"pupil": emma.pk}),
                        (reverse("archive:search"), {"text": "zoo"}),
                        (reverse("archive:holds"), {}), (reverse("archive:exports"), {}),
                        (reverse("archive:audit"), {}), (reverse("archive:erasure"), {})):
        answer = client.get(path, query)
        assert answer.status_code == 200, path
        if answer["Content-Type"].startswith("application/zip"):
            bundle = zipfile.ZipFile(io.BytesIO(answer.content))
            for member in bundle.namelist():
                if member.endswith((".json", ".html")):
                    _shows_nothing_of_emma(bundle.read(member).decode())
        else:
            _shows_nothing_of_emma(answer.content.decode())

    for name, content in export_search(client, f"pupil={emma.pk}").items():
        if name.endswith((".json", ".html")):
            _shows_nothing_of_emma(content.decode())

    # The event a socket is sent for the photo message.
    _shows_nothing_of_emma(json.dumps(message_event(Message.objects.get(pk=world["photo"].pk)),
                                      ensure_ascii=False))


@pytest.mark.parametrize("mode", ["account", "record"])
def test_a_guardians_export_names_the_pupil_by_the_pseudonym(
        client: Client, world: dict[str, Any], emma: Pupil, parent: User, dpo: User,
        mode: str) -> None:
    name, _ = _erase_emma(client, dpo, emma, mode)
    data = export.collect(parent)
    data.pop("_files")
    data.pop("_names")
    text = json.dumps(data, ensure_ascii=False)
    _shows_nothing_of_emma(text)
    assert name in text
    bundle = zipfile.ZipFile(io.BytesIO(export.bundle(export.collect(parent))))
    for member in ("index.html", "data.json"):
        _shows_nothing_of_emma(bundle.read(member).decode())
    # The pupil's own export, made by the DPO afterwards, holds no name or birth date either.
    emma.refresh_from_db()
    own = export.collect(pupil=emma)
    own.pop("_files")
    own.pop("_names")
    text = json.dumps(own, ensure_ascii=False, default=str)
    _shows_nothing_of_emma(text)
    assert name in text


@pytest.mark.parametrize("mode", ["account", "record"])
def test_the_archive_is_only_added_to_and_verifies(
        client: Client, world: dict[str, Any], emma: Pupil, dpo: User, mode: str) -> None:
    before = {r.pk: r.payload_hash for r in Record.objects.all()}
    name, request = _erase_emma(client, dpo, emma, mode)
    after = {r.pk: r.payload_hash for r in Record.objects.filter(pk__in=before)}
    assert after == before
    kind = erasure.ERASED_KIND if mode == "account" else erasure.PUPIL_ERASED_KIND
    record = Record.objects.get(kind=kind)
    assert record.payload.content["pupil"] == emma.pk
    assert record.payload.content["pseudonym"] == name
    assert emma.pk in record.subject_pupil_ids
    if mode == "account":
        assert record.subject_user_ids == [request.person_id]
    # The DPO's audit page tells the erasure by the pseudonym.
    audit = client.get(reverse("archive:audit")).content.decode()
    _shows_nothing_of_emma(audit)
    _shows_nothing_of_emma(json.dumps(record.payload.content))
    assert chain.verify().intact
    out = io.StringIO()
    call_command("verify_archive", stdout=out)
    assert "archive intact" in out.getvalue()


@pytest.mark.parametrize("with_account", [True, False])
@pytest.mark.parametrize("persona", ["teacher", "parent", "admin", "lead", "parent_5a"])
def test_only_the_dpo_may_erase_a_pupil(
        client: Client, request: pytest.FixtureRequest, persona: str, emma: Pupil,
        dpo: User, with_account: bool) -> None:
    account = create_pupil_account(emma, actor=None) if with_account else None
    made = erasure.record_request(dpo, account or emma)
    client.force_login(request.getfixturevalue(persona))
    for chosen in ({"pupil": emma.pk}, {"person": account.pk} if account else {}):
        assert client.post(reverse("archive:erasure"), chosen).status_code == 404
    assert client.get(reverse("archive:erasure_request", args=[made.pk])).status_code == 404
    assert client.post(reverse("archive:erasure_confirm", args=[made.pk])).status_code == 404
    assert client.post(reverse("archive:erasure_withdraw", args=[made.pk])).status_code == 404
    emma.refresh_from_db()
    made.refresh_from_db()
    assert (emma.first_name, emma.last_name) == (FIRST, LAST)
    assert made.state == ErasureRequest.State.REQUESTED


def test_another_schools_dpo_cannot_erase_a_pupil(client: Client, emma: Pupil,
                                                  dpo: User) -> None:
    made = erasure.record_request(dpo, emma)
    other = UserFactory(username="otherdpo", role=Role.DPO, school=SchoolFactory(slug="other"))
    client.force_login(other)
    assert client.get(reverse("archive:erasure_request", args=[made.pk])).status_code == 404
    assert client.post(reverse("archive:erasure_confirm", args=[made.pk])).status_code == 404
    assert client.post(reverse("archive:erasure"), {"pupil": emma.pk}).status_code == 400
    with pytest.raises(PermissionDenied):
        erasure.record_request(other, emma)
    emma.refresh_from_db()
    assert emma.first_name == FIRST


def test_a_pupil_is_requested_once_and_withdrawing_erases_nothing(
        client: Client, emma: Pupil, parent: User, dpo: User) -> None:
    made = erasure.record_request(dpo, emma)
    with pytest.raises(ValidationError):
        erasure.record_request(dpo, emma)
    client.force_login(dpo)
    assert client.post(reverse("archive:erasure"), {"pupil": emma.pk}).status_code == 400
    both = client.post(reverse("archive:erasure"), {"pupil": emma.pk, "person": parent.pk})
    assert both.status_code == 400 and "Choose either a person or a pupil." in both.content.decode()
    assert client.post(reverse("archive:erasure_withdraw", args=[made.pk])).status_code == 302
    emma.refresh_from_db()
    assert (emma.first_name, emma.date_of_birth) == (FIRST, date(2016, 3, 14))
    # Erased once, the pupil is no longer offered.
    again = erasure.record_request(dpo, emma)
    erasure.confirm(dpo, again)
    page = client.get(reverse("archive:erasure")).content.decode()
    pupils = page[page.index('name="pupil"'):]
    assert f'value="{emma.pk}"' not in pupils[:pupils.index("</select>")]
