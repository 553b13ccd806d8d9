"""What changes in absences: a guardian's report, the school's acknowledgement, a pupil marked
"absent, not reported", the school's settings (docs/absence.md).

Each action checks its rule (``can``), writes, appends one record per change to the school's
absences chain (:func:`archive.scopes.absences`) in the same transaction, and after the commit
tells the people who may see the report that the day's list changed
(``{"type": "absence_list"}`` on their user channel), and, for a pupil marked missing, asks
the guardians (:mod:`absence.asking`). A record holds ids, days and times, never a note, and
names a health reason only as "health": the archive's payloads outlive the reason
(``Category.ABSENCE_HEALTH``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from absence import asking, refusals
from absence.access import watchers
from absence.models import (
    DEFAULT_CUTOFF,
    HEALTH_REASONS,
    AbsenceReport,
    AbsenceSettings,
    ClassTeacher,
    Reason,
)
from accounts.access import can
from accounts.models import Pupil, School, SchoolClass, User
from accounts.timezones import school_zone
from archive import chain, scopes
from messaging.publish import publish_user_on_commit

LIST_EVENT = {"type": "absence_list"}
NOTE_MAX_CHARS = 1000
MAX_DAYS = 92


@dataclass(frozen=True)
class Absence:
    """What a guardian says about the days their children are away, checked by
    :func:`check`: whole days from ``starts_on`` to ``ends_on``, or part of one day."""

    starts_on: date
    ends_on: date
    category: str
    note: str = ""
    from_time: time | None = None
    until_time: time | None = None


def school_now(school: School) -> datetime:
    """Now on the school's clock (its time zone; the installation's for an unknown zone)."""
    zone = school_zone(school.time_zone)
    return timezone.localtime(timezone.now(), zone) if zone else timezone.localtime()


def school_today(school: School) -> date:
    return school_now(school).date()


def cutoff_of(school: School) -> time:
    found = AbsenceSettings.objects.filter(school=school).values_list("cutoff", flat=True).first()
    return found or DEFAULT_CUTOFF


def _is_late(school: School, starts_on: date) -> bool:
    """Reported on or after the cut-off time of the absence's first day."""
    now = school_now(school)
    return (now.date(), now.time()) >= (starts_on, cutoff_of(school))


def check(absence: Absence, today: date) -> Absence:
    """The absence, or a ``ValidationError`` with the sentence that says what is wrong."""
    if absence.ends_on < absence.starts_on:
        raise ValidationError(refusals.ENDS_BEFORE_START, code="ends_before_start")
    if absence.starts_on < today:
        raise ValidationError(refusals.IN_THE_PAST, code="past")
    if (absence.ends_on - absence.starts_on).days >= MAX_DAYS:
        raise ValidationError(refusals.TOO_LONG % {"days": MAX_DAYS}, code="too_long")
    if (absence.from_time is None) != (absence.until_time is None):
        raise ValidationError(refusals.BOTH_TIMES, code="both_times")
    if absence.from_time is not None and absence.until_time is not None:
        if absence.starts_on != absence.ends_on:
            raise ValidationError(refusals.ONE_DAY, code="one_day")
        if absence.until_time <= absence.from_time:
            raise ValidationError(refusals.TIMES_ORDER, code="times_order")
    if absence.category not in Reason.values:
        raise ValidationError(refusals.NO_REASON, code="reason")
    if len(absence.note) > NOTE_MAX_CHARS:
        raise ValidationError(refusals.NOTE_TOO_LONG % {"n": NOTE_MAX_CHARS}, code="note")
    return absence


def _tell(report: AbsenceReport) -> None:
    """After the commit, the open lists of everyone who may see the report fetch themselves."""
    for user_id in watchers(report):
        publish_user_on_commit(user_id, LIST_EVENT)


def _described(report: AbsenceReport) -> dict[str, Any]:
    """A record's payload: ids, days and times; a health reason only as "health"."""
    category = report.category
    return {"absence": report.pk, "pupil": report.pupil_id,
            "starts_on": report.starts_on.isoformat(), "ends_on": report.ends_on.isoformat(),
            "from_time": report.from_time.isoformat() if report.from_time else None,
            "until_time": report.until_time.isoformat() if report.until_time else None,
            "category": "health" if category in HEALTH_REASONS else category,
            "late": report.late}


def _open_call(pupil: Pupil, absence: Absence) -> AbsenceReport | None:
    """The pupil's "absent, not reported" within the reported days, waiting for an answer."""
    return (AbsenceReport.objects.select_for_update()
            .filter(pupil=pupil, marked_at__isnull=False, reported_at__isnull=True,
                    starts_on__gte=absence.starts_on, starts_on__lte=absence.ends_on)
            .order_by("starts_on").first())


def report_absence(guardian: User, pupils: Iterable[Pupil], absence: Absence
                   ) -> list[AbsenceReport]:
    """A guardian reports one or several of their children absent: one report each (or the
    answer to the school's open "absent, not reported" for that child, filled in)."""
    children = list(pupils)
    if not children:
        raise ValidationError(refusals.NO_CHILD, code="no_child")
    if not all(can(guardian, "absence.report", pupil) for pupil in children):
        raise PermissionDenied(refusals.NOT_YOURS)
    school = children[0].school
    checked = check(absence, school_today(school))
    late = _is_late(school, checked.starts_on)
    reports = []
    with transaction.atomic():
        for pupil in children:
            report = _open_call(pupil, checked) or AbsenceReport(school=school, pupil=pupil)
            answered = report.pk is not None
            for name in ("starts_on", "ends_on", "from_time", "until_time", "category", "note"):
                setattr(report, name, getattr(checked, name))
            report.reported_by, report.reported_at = guardian, timezone.now()
            report.late = late
            report.save()
            chain.record("absence.answered" if answered else "absence.reported",
                         scope=scopes.absences(school.pk), actor=guardian,
                         subjects=[guardian, pupil],
                         payload={**_described(report), "guardian": guardian.pk})
            _tell(report)
            reports.append(report)
    return reports


def acknowledge(actor: User, report: AbsenceReport) -> AbsenceReport:
    """The class teacher or the office has seen the report."""
    if not can(actor, "absence.acknowledge", report):
        raise PermissionDenied
    with transaction.atomic():
        report = AbsenceReport.objects.select_for_update().select_related("pupil").get(
            pk=report.pk)
        if report.reported_at is None:
            raise ValidationError(refusals.NOT_REPORTED_YET, code="open")
        if report.acknowledged_at is not None:
            raise ValidationError(refusals.ALREADY_ACKNOWLEDGED, code="acknowledged")
        report.acknowledged_by, report.acknowledged_at = actor, timezone.now()
        report.save(update_fields=["acknowledged_by", "acknowledged_at"])
        chain.record("absence.acknowledged", scope=scopes.absences(report.school_id),
                     actor=actor, subjects=[report.pupil],
                     payload={"absence": report.pk, "pupil": report.pupil_id})
        _tell(report)
    return report


def mark_missing(actor: User, pupil: Pupil) -> AbsenceReport:
    """"Absent, not reported": the pupil is not in class today and nobody said why. The
    guardians are asked "Is <child> with you?" after the commit (:mod:`absence.asking`)."""
    if not can(actor, "absence.mark_missing", pupil):
        raise PermissionDenied
    today = school_today(pupil.school)
    name = {"name": pupil.first_name}
    with transaction.atomic():
        here = AbsenceReport.objects.select_for_update().filter(
            pupil=pupil, starts_on__lte=today, ends_on__gte=today)
        if here.filter(reported_at__isnull=False).exists():
            raise ValidationError(refusals.ALREADY_REPORTED % name, code="reported")
        if here.filter(marked_at__isnull=False).exists():
            raise ValidationError(refusals.ALREADY_MARKED % name, code="marked")
        try:
            with transaction.atomic():
                report = AbsenceReport.objects.create(
                    school_id=pupil.school_id, pupil=pupil, starts_on=today, ends_on=today,
                    marked_by=actor, marked_at=timezone.now())
        except IntegrityError as exc:  # marked at the same moment from another screen
            raise ValidationError(refusals.ALREADY_MARKED % name, code="marked") from exc
        chain.record("absence.marked_missing", scope=scopes.absences(pupil.school_id),
                     actor=actor, subjects=[pupil],
                     payload={"absence": report.pk, "pupil": pupil.pk,
                              "day": today.isoformat()})
        _tell(report)
        asking.ask_on_commit(report.pk)
    return report


def change_settings(actor: User, school: School, *, cutoff: time,
                    class_teachers: Mapping[SchoolClass, User | None]) -> None:
    """The school's cut-off time and each class's class teacher (None: every member of the
    class's staff counts as its class teacher)."""
    if not can(actor, "absence.settings", school):
        raise PermissionDenied
    for school_class, teacher in class_teachers.items():
        if school_class.school_id != school.pk:
            raise PermissionDenied
        if teacher is not None and not school_class.staff.filter(pk=teacher.pk).exists():
            raise ValidationError(refusals.NOT_STAFF_OF_CLASS % {"class": school_class.name},
                                  code="not_staff")
    with transaction.atomic():
        AbsenceSettings.objects.update_or_create(school=school, defaults={"cutoff": cutoff})
        for school_class, teacher in class_teachers.items():
            if teacher is None:
                ClassTeacher.objects.filter(school_class=school_class).delete()
            else:
                ClassTeacher.objects.update_or_create(school_class=school_class,
                                                      defaults={"user": teacher})
        chain.record("absence.settings_changed", scope=scopes.absences(school.pk), actor=actor,
                     payload={"cutoff": cutoff.isoformat(timespec="minutes"),
                              "class_teachers": {str(c.pk): t.pk if t else None
                                                 for c, t in class_teachers.items()}})


def days_of(report: AbsenceReport, first: date, last: date) -> list[date]:
    """The days of ``report`` between ``first`` and ``last`` (both included)."""
    start, end = max(report.starts_on, first), min(report.ends_on, last)
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]
