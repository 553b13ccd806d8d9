"""A pupil's absences in their subject access export (``archive.sections``), for the DPO to
review: every report and every "absent, not reported" still held, with its reason (the DPO may
see health reasons; the review decides what the bundle keeps)."""

from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext as _

from absence.models import AbsenceReport
from accounts.models import Pupil
from archive.sections import Candidate, Section, register_section


def _days(report: AbsenceReport) -> str:
    first = formats.date_format(report.starts_on, "DATE_FORMAT")
    if report.from_time and report.until_time:
        return _("%(day)s from %(start)s until %(end)s") % {
            "day": first, "start": report.from_time.strftime("%H:%M"),
            "end": report.until_time.strftime("%H:%M")}
    if report.ends_on == report.starts_on:
        return first
    return _("%(first)s until %(last)s") % {
        "first": first, "last": formats.date_format(report.ends_on, "DATE_FORMAT")}


def describe(report: AbsenceReport) -> str:
    """One report in a sentence, in the active language."""
    if report.is_open:
        return _("Absent, not reported: %(days)s.") % {"days": _days(report)}
    reason = (report.get_category_display() if report.category
              else _("reason deleted under retention"))
    text = _("Absent: %(days)s. Reason: %(reason)s.") % {"days": _days(report),
                                                         "reason": reason}
    if report.note:
        text = f"{text} {report.note}"
    if report.late:
        text = f"{text} {_('Reported late.')}"
    return text


def absences_of(pupil: Pupil) -> list[Candidate]:
    reports = AbsenceReport.objects.filter(pupil=pupil).order_by("starts_on", "pk")
    return [Candidate(key=f"absence:{r.pk}", at=r.reported_at or r.marked_at,
                      place=_("Absences"), actor_id=r.reported_by_id or r.marked_by_id,
                      text=describe(r),
                      facts={"absence": r.pk, "starts_on": r.starts_on.isoformat(),
                             "ends_on": r.ends_on.isoformat(), "category": r.category,
                             "late": r.late, "reported": r.reported_at is not None})
            for r in reports]


def register() -> None:
    """Called from ``AbsenceConfig.ready``."""
    register_section(Section("absences", lambda: _("Absences"), absences_of))
