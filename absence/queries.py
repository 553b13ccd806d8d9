"""What the pages read: the day's absences per class, a family's own reports, and what the
school's calendar shows (:func:`absences_between`). Each answer is filtered by the queryset
twins of ``absence/access.py``, so a list and a page cannot disagree."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet

from absence.access import (
    acknowledgeable_reports,
    listed_classes,
    reason_visible_reports,
    visible_reports,
)
from absence.models import AbsenceReport
from accounts.models import Enrolment, Pupil, SchoolClass, User


@dataclass(frozen=True)
class Shown:
    """A report as one reader sees it."""

    report: AbsenceReport
    reason_shown: bool
    may_acknowledge: bool


@dataclass
class ClassDay:
    school_class: SchoolClass
    absent: list[Shown] = field(default_factory=list)
    # The class's pupils with nothing about them that day: who can be marked missing.
    present: list[Pupil] = field(default_factory=list)


@dataclass
class Day:
    day: date
    classes: list[ClassDay]
    # Marked absent, not reported, in every listed class: the first-day calls still open.
    open: list[Shown]


def _shown(user: User, reports: list[AbsenceReport]) -> list[Shown]:
    ids = [r.pk for r in reports]
    reasons = set(reason_visible_reports(user).filter(pk__in=ids).values_list("pk", flat=True))
    ackable = set(acknowledgeable_reports(user).filter(pk__in=ids).values_list("pk", flat=True))
    return [Shown(r, r.pk in reasons, r.pk in ackable) for r in reports]


def on_day(reports: QuerySet[AbsenceReport], day: date) -> QuerySet[AbsenceReport]:
    return reports.filter(starts_on__lte=day, ends_on__gte=day)


def day_list(user: User, day: date) -> Day:
    """``user``'s classes on ``day``: who is absent (and why, where they may know), who is
    marked absent and not reported, who is there."""
    classes = list(listed_classes(user))
    enrolments = list(Enrolment.objects.current(day).filter(school_class__in=classes)
                      .select_related("pupil").order_by("pupil__first_name",
                                                        "pupil__last_name", "pk"))
    pupils = {e.pupil_id for e in enrolments}
    reports = list(on_day(visible_reports(user), day).filter(pupil_id__in=pupils)
                   .select_related("pupil", "reported_by", "marked_by", "acknowledged_by")
                   .order_by("pupil__first_name", "pupil__last_name", "pk"))
    shown = _shown(user, reports)
    by_pupil: dict[int, list[Shown]] = {}
    for item in shown:
        by_pupil.setdefault(item.report.pupil_id, []).append(item)
    days = {c.pk: ClassDay(c) for c in classes}
    for enrolment in enrolments:
        found = by_pupil.get(enrolment.pupil_id)
        if found:
            days[enrolment.school_class_id].absent.extend(found)
        else:
            days[enrolment.school_class_id].present.append(enrolment.pupil)
    return Day(day, list(days.values()), [s for s in shown if s.report.is_open])


def family_reports(user: User, since: date) -> list[Shown]:
    """The reports about ``user``'s children from ``since`` on, newest first."""
    children = Pupil.objects.filter(
        guardianships__guardian=user, guardianships__parental_responsibility=True,
        guardianships__no_contact=False).values("pk")
    reports = list(visible_reports(user).filter(pupil_id__in=children, ends_on__gte=since)
                   .select_related("pupil").order_by("-starts_on", "-pk")[:50])
    return _shown(user, reports)


@dataclass(frozen=True)
class CalendarAbsence:
    """An absence as a person's calendar shows it."""

    pupil: str
    starts_on: date
    ends_on: date
    part_of_day: bool
    # The reason's label, only for those who may see it (else "").
    reason: str
    open: bool


def absences_between(user: User, first: date, last: date) -> list[CalendarAbsence]:
    """The absences ``user`` may see that fall between ``first`` and ``last`` (both included),
    in order: what the school's calendar (``agenda``) registers for each family and teacher.
    A health reason is there only for those who may see it; other parents' children never."""
    reports = list(visible_reports(user).filter(starts_on__lte=last, ends_on__gte=first)
                   .select_related("pupil").order_by("starts_on", "pupil__first_name", "pk"))
    return [CalendarAbsence(
        pupil=str(s.report.pupil), starts_on=s.report.starts_on, ends_on=s.report.ends_on,
        part_of_day=s.report.part_of_day,
        reason=s.report.get_category_display() if s.reason_shown and s.report.category else "",
        open=s.report.is_open) for s in _shown(user, reports)]


def absent_pupils(pupil_ids: Collection[int], day: date) -> set[int]:
    """The ids among ``pupil_ids`` of the pupils reported (or marked) absent on ``day``, for
    any reason: what a trip list needs to leave them off (activities.absent). One query."""
    return set(on_day(AbsenceReport.objects.filter(pupil_id__in=list(pupil_ids)), day)
               .values_list("pupil_id", flat=True))
