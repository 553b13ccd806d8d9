"""Erasing a parent who made safeguarding reports, and was reported: their real name is in no
archive payload, on no page the DPO or the lead can open, and in no export afterwards. The
safeguarding records stay (the records duty) and name the pseudonym."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Pupil, User
from archive import chain
from archive.models import Payload, Record
from messaging.actions import send
from messaging.models import Conversation
from records import erasure, export, releases
from records.models import ErasureRequest
from safeguarding import actions
from safeguarding.models import Flag, Report
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SECRETS = ("Anna Jansen", "Jansen", "anna@example.invalid")


def _names_nobody(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} in {where}"


@pytest.fixture
def lead(parent: User) -> User:
    assert parent.school is not None
    return UserFactory(username="lead", display_name="Mr Veilig", role="safeguarding",
                       school=parent.school)


@pytest.fixture
def reports(conversation_4b: Conversation, teacher: User, parent: User, lead: User,
            dpo: User) -> dict[str, Any]:
    """Anna reports a message and a person; Ms de Vries reports Anna's message; the lead
    looks, restricts Anna, dismisses, tells the DPO; the DPO releases one into an export."""
    unkind, _ = send.post_message(teacher, conversation_4b, "Your child never listens")
    hers, _ = send.post_message(parent, conversation_4b, "Emma will be late on Monday")
    by_anna = actions.report_message(parent, unkind, reason="bullying", note="")
    actions.report_person(parent, teacher, reason="worry", note="")
    about_anna = actions.report_message(teacher, hers, reason="other", note="")
    actions.look(lead, by_anna, reason="Checking")
    actions.notify_dpo(lead, by_anna, note="Keep an eye on this")
    actions.restrict(lead, about_anna, until=timezone.now() + timedelta(days=7),
                     reason="For a week")
    emma = Pupil.objects.get(first_name="Emma")
    actions.add_case_note(lead, emma, text="Mother reported a teacher")
    record = Record.objects.get(kind="safeguarding.reported",
                                payload__content__report=by_anna.pk)
    releases.release(dpo, record, teacher, "Her lawyer asked")
    return {"by_anna": by_anna, "about_anna": about_anna, "emma": emma}


def _erase(dpo: User, parent: User) -> None:
    client = Client()
    client.force_login(dpo)
    assert client.post(reverse("archive:erasure"), {"person": parent.pk}).status_code == 302
    request = ErasureRequest.objects.get(person=parent)
    assert client.post(reverse("archive:erasure_confirm", args=[request.pk])).status_code == 302
    parent.refresh_from_db()
    assert parent.public_name == erasure.pseudonym(parent)


def _pages(user: User, paths: list[str]) -> str:
    client = Client()
    client.force_login(user)
    texts = []
    for path in paths:
        answer = client.get(path)
        assert answer.status_code == 200, path
        texts.append(answer.content.decode())
    return "\n".join(texts)


def _bundle_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as bundle:
        return "\n".join(bundle.read(n).decode() for n in bundle.namelist()
                         if n.endswith((".json", ".html")))


def test_no_payload_keeps_the_real_name_of_an_erased_reporter(
        reports: dict[str, Any], parent: User, dpo: User) -> None:
    _erase(dpo, parent)
    for content in Payload.objects.values_list("content", flat=True):
        _names_nobody(json.dumps(content, ensure_ascii=False), f"payload {content}")
    assert chain.verify().intact


def test_no_safeguarding_page_names_an_erased_reporter(
        reports: dict[str, Any], parent: User, teacher: User, lead: User, dpo: User) -> None:
    _erase(dpo, parent)
    name = erasure.pseudonym(parent)
    oversight = _pages(dpo, [reverse("safeguarding:oversight")])
    _names_nobody(oversight, "the oversight page")
    # The lines still say who reported and whom: by the pseudonym.
    assert f"By {name}" in oversight and "Report made" in oversight
    assert "Member restricted" in oversight and name in oversight
    _names_nobody(_pages(dpo, [reverse(p) for p in (
        "archive:home", "archive:audit", "archive:exports", "archive:holds", "archive:erasure",
        "archive:search")]), "the DPO's pages")
    items = [reverse("safeguarding:item", args=["report", r.pk]) for r in Report.objects.all()]
    items += [reverse("safeguarding:item", args=["flag", f.pk]) for f in Flag.objects.all()]
    lead_pages = _pages(lead, [reverse("safeguarding:queue"), reverse("safeguarding:queue_items"),
                               reverse("safeguarding:case_notes", args=[reports["emma"].pk]),
                               *items])
    _names_nobody(lead_pages, "the lead's pages")
    assert f"Reported by {name}" in lead_pages


def test_no_export_names_an_erased_reporter(
        reports: dict[str, Any], parent: User, teacher: User, dpo: User) -> None:
    _erase(dpo, parent)
    for subject in ({"user": teacher}, {"user": parent}, {"pupil": reports["emma"]}):
        text = _bundle_text(export.bundle(export.collect(**subject)))
        _names_nobody(text, f"the export of {subject}")
    released = export.collect(teacher)["safeguarding"]
    assert [r["kind"] for r in released] == ["safeguarding.reported"]


def test_the_erasure_page_counts_the_reports_they_made_as_kept(
        reports: dict[str, Any], parent: User) -> None:
    # Two reports by Anna (payload only), one about her, the lead's look at and note on the
    # first report, and the restriction (subject: Anna).
    made = Record.objects.filter(kind="safeguarding.reported", payload__content__reporter=parent.pk)
    assert made.count() == 2
    assert erasure.plan(parent).safeguarding >= 4
