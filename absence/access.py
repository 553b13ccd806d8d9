"""Who may report, see, acknowledge and export absences. Asked through ``accounts.access.can``.

- ``absence.report`` (a pupil): a guardian with parental responsibility who is not marked
  "no contact", while the pupil has not left. Answering the school's "Is <child> with you?"
  is a report too.
- ``absence.view`` (a report): that guardian family, every member of staff of the pupil's
  current classes (the class teacher and the subject teachers), the school office (role staff)
  and the DPO. Other parents, other classes' staff and other schools: nothing (404).
- ``absence.view_reason`` (a report): why the pupil is away, which for ill and medical is
  health data: the family, the class teacher (:func:`is_class_teacher`), the office and the
  DPO. A subject teacher sees "absent".
- ``absence.acknowledge`` (a report): the class teacher and the office.
- ``absence.mark_missing`` (a pupil): "absent, not reported": staff of the pupil's class and
  the office.
- ``absence.list`` (a school): the day's list, live: the office, and staff with a class of
  their own there (they see their classes).
- ``absence.export`` (a school): the CSV for the pupil records system: the office.
- ``absence.settings`` (a school): the cut-off time and the class teachers: the school admin.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from absence.models import AbsenceReport, ClassTeacher
from accounts.access import rule
from accounts.models import Enrolment, Guardianship, Pupil, Role, School, SchoolClass, User


def is_office(user: User, school_id: int | None) -> bool:
    """The school office: staff (role staff) of the school."""
    return user.role == Role.STAFF and school_id is not None and user.school_id == school_id


def _is_dpo(user: User, school_id: int | None) -> bool:
    return user.role == Role.DPO and school_id is not None and user.school_id == school_id


def _family(user: User) -> Q:
    """The pupils ``user`` may report absent (a filter on pupils)."""
    return Q(guardianships__guardian=user, guardianships__parental_responsibility=True,
             guardianships__no_contact=False)


def _current_classes(pupil: Pupil) -> QuerySet[Enrolment]:
    return Enrolment.objects.current().filter(pupil=pupil)


def in_family(user: User, pupil: Pupil) -> bool:
    return Guardianship.objects.filter(guardian=user, pupil=pupil, parental_responsibility=True,
                                       no_contact=False).exists()


def teaches(user: User, pupil: Pupil) -> bool:
    """``user`` is on the staff of one of the pupil's current classes."""
    if not user.is_class_staff_role:
        return False
    classes = _current_classes(pupil).values("school_class_id")
    return SchoolClass.objects.filter(pk__in=classes, staff=user).exists()


def _class_teacher_classes(user: User) -> QuerySet[SchoolClass]:
    """The classes whose class teacher ``user`` is: named as theirs, or on the staff of a
    class that names none."""
    if not user.is_class_staff_role:
        return SchoolClass.objects.none()
    named = ClassTeacher.objects.filter(school_class=OuterRef("pk"))
    return SchoolClass.objects.filter(
        Q(absence_class_teacher__user=user)
        | Q(staff=user) & ~Exists(named)).distinct()


def is_class_teacher(user: User, pupil: Pupil) -> bool:
    classes = _current_classes(pupil).values("school_class_id")
    return _class_teacher_classes(user).filter(pk__in=classes).exists()


def _report(obj: Any) -> AbsenceReport | None:
    return obj if isinstance(obj, AbsenceReport) else None


@rule("absence.report")
def _may_report(user: User, pupil: Any) -> bool:
    return (isinstance(pupil, Pupil) and user.school_id == pupil.school_id
            and (pupil.left_on is None or pupil.left_on > timezone.localdate())
            and in_family(user, pupil))


def reportable_children(user: User) -> QuerySet[Pupil]:
    """The queryset twin of ``absence.report``: the children ``user`` may report absent."""
    today = timezone.localdate()
    return (Pupil.objects.filter(_family(user), school_id=user.school_id or 0)
            .filter(Q(left_on__isnull=True) | Q(left_on__gt=today))
            .order_by("first_name", "last_name", "pk").distinct())


@rule("absence.view")
def _view(user: User, obj: Any) -> bool:
    report = _report(obj)
    if report is None:
        return False
    school = report.school_id
    return (is_office(user, school) or _is_dpo(user, school) or in_family(user, report.pupil)
            or teaches(user, report.pupil))


@rule("absence.view_reason")
def _view_reason(user: User, obj: Any) -> bool:
    report = _report(obj)
    if report is None:
        return False
    school = report.school_id
    return (is_office(user, school) or _is_dpo(user, school) or in_family(user, report.pupil)
            or is_class_teacher(user, report.pupil))


def _taught_pupils(user: User, classes: QuerySet[SchoolClass]) -> QuerySet[Any]:
    return Enrolment.objects.current().filter(school_class__in=classes).values("pupil_id")


def visible_reports(user: User) -> QuerySet[AbsenceReport]:
    """The queryset twin of ``absence.view``."""
    if user.school_id is None:
        return AbsenceReport.objects.none()
    if is_office(user, user.school_id) or _is_dpo(user, user.school_id):
        return AbsenceReport.objects.filter(school_id=user.school_id)
    family = Pupil.objects.filter(_family(user)).values("pk")
    condition = Q(pupil_id__in=family)
    if user.is_class_staff_role:
        condition |= Q(pupil_id__in=_taught_pupils(user, user.taught_classes.all()))
    return AbsenceReport.objects.filter(condition, school_id=user.school_id)


def reason_visible_reports(user: User) -> QuerySet[AbsenceReport]:
    """The queryset twin of ``absence.view_reason``."""
    if user.school_id is None:
        return AbsenceReport.objects.none()
    if is_office(user, user.school_id) or _is_dpo(user, user.school_id):
        return AbsenceReport.objects.filter(school_id=user.school_id)
    family = Pupil.objects.filter(_family(user)).values("pk")
    condition = Q(pupil_id__in=family)
    if user.is_class_staff_role:
        condition |= Q(pupil_id__in=_taught_pupils(user, _class_teacher_classes(user)))
    return AbsenceReport.objects.filter(condition, school_id=user.school_id)


@rule("absence.acknowledge")
def _acknowledge(user: User, obj: Any) -> bool:
    report = _report(obj)
    return report is not None and (is_office(user, report.school_id)
                                   or is_class_teacher(user, report.pupil))


def acknowledgeable_reports(user: User) -> QuerySet[AbsenceReport]:
    """The queryset twin of ``absence.acknowledge``."""
    if user.school_id is not None and is_office(user, user.school_id):
        return AbsenceReport.objects.filter(school_id=user.school_id)
    return AbsenceReport.objects.filter(
        pupil_id__in=_taught_pupils(user, _class_teacher_classes(user)),
        school_id=user.school_id or 0)


@rule("absence.mark_missing")
def _mark_missing(user: User, pupil: Any) -> bool:
    return isinstance(pupil, Pupil) and (is_office(user, pupil.school_id)
                                         or teaches(user, pupil))


@rule("absence.list")
def _list(user: User, school: Any) -> bool:
    if not isinstance(school, School | User) or user.school_id is None:
        return False
    school_id = school.pk if isinstance(school, School) else school.school_id
    if school_id != user.school_id:
        return False
    return is_office(user, school_id) or (user.is_class_staff_role
                                          and user.taught_classes.exists())


def listed_classes(user: User) -> QuerySet[SchoolClass]:
    """The classes whose day ``user`` sees (the twin of ``absence.list``, class by class)."""
    if user.school_id is None:
        return SchoolClass.objects.none()
    if is_office(user, user.school_id):
        return SchoolClass.objects.filter(school_id=user.school_id).order_by("name")
    if not user.is_class_staff_role:
        return SchoolClass.objects.none()
    return user.taught_classes.filter(school_id=user.school_id).order_by("name")


@rule("absence.export")
def _export(user: User, school: Any) -> bool:
    return isinstance(school, School | User) and is_office(
        user, school.pk if isinstance(school, School) else school.school_id)


@rule("absence.settings")
def _settings(user: User, school: Any) -> bool:
    return (isinstance(school, School) and user.is_school_admin
            and user.school_id == school.pk)


def watchers(report: AbsenceReport) -> list[int]:
    """Who is told that the day's list changed: the people who may see the report among those
    who have the list (the staff of the pupil's current classes and the office), never
    anyone else."""
    classes = _current_classes(report.pupil).values("school_class_id")
    staff = Q(taught_classes__in=classes, role__in=list(Role.class_staff()))
    office = Q(role=Role.STAFF)
    return list(User.objects.filter(staff | office, school_id=report.school_id, is_active=True)
                .values_list("pk", flat=True).distinct())


def guardians_to_ask(pupil: Pupil) -> QuerySet[User]:
    """Who is asked "Is <child> with you?": the guardians who may report the pupil absent."""
    return User.objects.filter(
        guardianships__pupil=pupil, guardianships__parental_responsibility=True,
        guardianships__no_contact=False, is_active=True).distinct()
