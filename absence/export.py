"""The CSV of absences for the pupil records system: one row per pupil per day (docs/absence.md
lists the columns). Codes, not translated words, so the receiving system reads every school's
file alike; UTF-8, comma-separated, a header row, as Python's ``csv`` writes it."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from absence import actions, refusals
from absence.access import reason_visible_reports, visible_reports
from absence.models import AbsenceReport
from accounts.models import Enrolment, User

COLUMNS = ["date", "pupil_ref", "first_name", "last_name", "class", "status", "from_time",
           "until_time", "reason", "note", "late", "reported_by", "reported_at", "marked_by",
           "acknowledged_by", "acknowledged_at"]
MAX_DAYS = 366


def _when(value: datetime | None) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def _name(user: User | None) -> str:
    return user.public_name if user is not None else ""


def check_range(first: date, last: date) -> None:
    if last < first:
        raise ValidationError(refusals.ENDS_BEFORE_START, code="ends_before_start")
    if (last - first).days >= MAX_DAYS:
        raise ValidationError(refusals.TOO_LONG % {"days": MAX_DAYS}, code="too_long")


def rows(user: User, first: date, last: date) -> list[list[str]]:
    check_range(first, last)
    reports = list(visible_reports(user).filter(starts_on__lte=last, ends_on__gte=first)
                   .select_related("pupil", "reported_by", "marked_by", "acknowledged_by")
                   .order_by("starts_on", "pupil__last_name", "pupil__first_name", "pk"))
    reasons = set(reason_visible_reports(user).filter(pk__in=[r.pk for r in reports])
                  .values_list("pk", flat=True))
    enrolments = list(Enrolment.objects.filter(
        pupil_id__in={r.pupil_id for r in reports}, starts_on__lte=last,
    ).select_related("school_class"))
    found: list[list[str]] = []
    for report in reports:
        for day in actions.days_of(report, first, last):
            found.append(_row(report, day, report.pk in reasons, _class_on(enrolments, report,
                                                                           day)))
    found.sort(key=lambda row: (row[0], row[4], row[3], row[2]))
    return found


def _class_on(enrolments: list[Enrolment], report: AbsenceReport, day: date) -> str:
    """The pupil's class that day, as Enrolment.current counts it."""
    for e in enrolments:
        if (e.pupil_id == report.pupil_id and e.starts_on <= day
                and (e.ends_on is None or e.ends_on > day)):
            return str(e.school_class.name)
    return ""


def _row(report: AbsenceReport, day: date, reason_shown: bool, class_name: str) -> list[str]:
    pupil = report.pupil
    return [day.isoformat(), pupil.shown_ref, pupil.first_name, pupil.last_name, class_name,
            "not_reported" if report.is_open else "reported",
            report.from_time.isoformat(timespec="minutes") if report.from_time else "",
            report.until_time.isoformat(timespec="minutes") if report.until_time else "",
            report.category if reason_shown else "", report.note if reason_shown else "",
            "yes" if report.late else "no", _name(report.reported_by),
            _when(report.reported_at), _name(report.marked_by), _name(report.acknowledged_by),
            _when(report.acknowledged_at)]


def as_csv(user: User, first: date, last: date) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows(user, first, last))
    return out.getvalue()


def filename(first: date, last: date) -> str:
    return (f"absences-{first.isoformat()}.csv" if first == last
            else f"absences-{first.isoformat()}-{last.isoformat()}.csv")
