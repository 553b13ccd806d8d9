"""What the records office and retention do with absences: health reasons go first, reports
later, a hold keeps them, the chains still verify; a pupil's export and the reporting
guardian's export hold them; the calendar's function shows each reader what they may see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from absence import actions
from absence.models import AbsenceReport
from absence.queries import absences_between
from accounts.access import can
from archive import chain
from archive.models import LegalHold, Payload, Record
from archive.retention import apply_retention
from messaging.actions import send
from messaging.models import Conversation
from records.export import collect, collect_pupil

pytestmark = pytest.mark.django_db


def _report(world: dict[str, Any], pupil: Any, category: str, note: str = "") -> AbsenceReport:
    today = actions.school_today(world["school"])
    [report] = actions.report_absence(world["parent"], [pupil], actions.Absence(
        starts_on=today, ends_on=today, category=category, note=note))
    return report


def _age(report: AbsenceReport, days: int) -> None:
    AbsenceReport.objects.filter(pk=report.pk).update(
        created_at=timezone.now() - timedelta(days=days))


def test_health_reasons_go_before_the_reports_and_a_hold_keeps_them(
        world: dict[str, Any], conversation_4b: Conversation) -> None:
    emma, noah = world["emma"], world["noah"]
    ill = _report(world, noah, "ill", "Fever")
    family = _report(world, noah, "family", "Wedding")
    old = _report(world, noah, "medical", "Dentist")
    held = _report(world, emma, "other", "Held")
    held_ill = _report(world, emma, "ill", "Cough")
    for report, days in ((ill, 400), (family, 400), (old, 800), (held, 800), (held_ill, 400)):
        _age(report, days)
    LegalHold.objects.create(school=world["school"], pupil=emma, reason="A complaint",
                             placed_by=world["dpo"])
    # A message whose id is a purged report's: its archive payload is not the report's.
    message, _ = send.post_message(world["teacher"], conversation_4b, "Hello class")
    posted = Record.objects.get(kind="message.posted", message_id=message.pk)
    spare = max(AbsenceReport.objects.values_list("id", flat=True)) + 100
    AbsenceReport.objects.filter(id=message.pk).exclude(id=old.pk).update(id=spare)
    AbsenceReport.objects.filter(id=old.pk).update(id=message.pk)

    apply_retention(only=[world["school"]])

    ill = AbsenceReport.objects.get(pupil=noah, reason_purged_at__isnull=False)
    assert ill.category == "" and ill.note == ""
    assert AbsenceReport.objects.filter(category="family", note="Wedding").exists()
    assert not AbsenceReport.objects.filter(id=message.pk).exists()  # the 800-day-old one
    # Under the hold on Emma: her reports and their reasons stay whole.
    assert AbsenceReport.objects.filter(note="Held").exists()
    assert AbsenceReport.objects.filter(category="ill", note="Cough").exists()
    assert Payload.objects.filter(record=posted).exists()
    assert chain.verify().intact


def test_a_pupils_export_holds_their_absences(world: dict[str, Any]) -> None:
    _report(world, world["emma"], "ill", "Fever since the night")
    actions.mark_missing(world["teacher"], world["noah"])
    data = collect_pupil(world["emma"], None)
    [about] = [a for a in data["about_the_pupil"] if a["section"] == "absences"]
    assert "Ill" in about["text"] and "Fever since the night" in about["text"]
    assert about["by"] == "Anna Jansen" or about["by"].startswith("Parent")
    noah = collect_pupil(world["noah"], None)
    assert any("Absent, not reported" in a["text"] for a in noah["about_the_pupil"])
    assert "Fever" not in str(noah["about_the_pupil"])


def test_the_reporting_guardians_export_holds_their_reports(world: dict[str, Any]) -> None:
    _report(world, world["emma"], "family")
    data = collect(user=world["parent"])
    assert any(e["kind"] == "absence.reported" and "Reported Emma" in e["description"]
               and "absent" in e["description"] for e in data["events"])
    other = collect(user=world["parent_5a"])
    assert not any(e["kind"].startswith("absence.") for e in other["events"])


def test_a_subject_teacher_sees_that_not_why(world: dict[str, Any]) -> None:
    report = _report(world, world["emma"], "ill", "Fever")
    subject, teacher = world["subject_teacher"], world["teacher"]
    assert can(subject, "absence.view", report) and not can(subject, "absence.view_reason",
                                                             report)
    assert not can(subject, "absence.acknowledge", report)
    assert can(subject, "absence.mark_missing", world["noah"])
    assert can(teacher, "absence.view_reason", report)
    today = actions.school_today(world["school"])
    [seen] = absences_between(subject, today, today)
    assert seen.pupil.startswith("Emma") and seen.reason == ""
    [told] = absences_between(teacher, today, today)
    assert told.reason == "Ill"
    assert absences_between(world["parent_5a"], today, today) == []
    assert [a.reason for a in absences_between(world["parent"], today, today)] == ["Ill"]
