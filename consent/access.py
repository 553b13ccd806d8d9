"""Who may decide, record, request and see consent. Asked through ``accounts.access.can``.

- ``consent.decide`` (a pupil): a guardian with parental responsibility for that pupil. A
  ``no_contact`` flag does not matter here: it stops the school contacting a guardian, it does
  not take away their legal say over the child.
- ``consent.record_paper`` (a pupil): staff assigned to one of the pupil's current classes, or
  an admin of the pupil's school.
- ``consent.view_pupil`` (a pupil): whoever may know where that pupil's consent stands: a
  guardian with parental responsibility, staff assigned to one of the pupil's current classes,
  an admin of the pupil's school. A refusal that names a pupil's missing consent (photo tags)
  is shown only to them; :func:`consent_visible_pupils` is the queryset twin.
- ``consent.request`` and ``consent.view_coverage`` (a class): that class's staff, or an admin of
  its school. The DPO and other staff are outsiders here (404).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts.access import rule
from accounts.models import Enrolment, Guardianship, Pupil, School, SchoolClass, User


def is_school_admin(user: User, school_id: int | None) -> bool:
    return user.is_school_admin and school_id is not None and user.school_id == school_id


def is_class_staff(user: User, school_class: SchoolClass) -> bool:
    return user.is_class_staff_role and school_class.staff.filter(pk=user.pk).exists()


def manages_class(user: User, school_class: Any) -> bool:
    if not isinstance(school_class, SchoolClass):
        return False
    return is_school_admin(user, school_class.school_id) or is_class_staff(user, school_class)


def responsible_for(user: User, pupil: Pupil) -> bool:
    return Guardianship.objects.filter(
        guardian=user, pupil=pupil, parental_responsibility=True
    ).exists()


@rule("consent.decide")
def _decide(user: User, pupil: Any) -> bool:
    return isinstance(pupil, Pupil) and responsible_for(user, pupil)


def children_of(user: User) -> QuerySet[Pupil]:
    """The pupils this user may decide for: the queryset twin of ``consent.decide``."""
    return Pupil.objects.filter(
        guardianships__guardian=user, guardianships__parental_responsibility=True
    ).order_by("first_name", "last_name", "pk")


@rule("consent.record_paper")
def _record_paper(user: User, pupil: Any) -> bool:
    if not isinstance(pupil, Pupil):
        return False
    if is_school_admin(user, pupil.school_id):
        return True
    if not user.is_class_staff_role:
        return False
    class_ids = Enrolment.objects.current().filter(pupil=pupil).values("school_class_id")
    return SchoolClass.objects.filter(pk__in=class_ids, staff=user).exists()


@rule("consent.view_pupil")
def _view_pupil(user: User, pupil: Any) -> bool:
    return isinstance(pupil, Pupil) and (responsible_for(user, pupil)
                                         or _record_paper(user, pupil))


def consent_visible_pupils(user: User) -> QuerySet[Pupil]:
    """The pupils whose consent this user may know: the twin of ``consent.view_pupil``."""
    if user.school_id is not None and is_school_admin(user, user.school_id):
        return Pupil.objects.filter(school_id=user.school_id)
    own = Q(guardianships__guardian=user, guardianships__parental_responsibility=True)
    if user.is_class_staff_role:
        taught = Enrolment.objects.current().filter(school_class__staff=user)
        own |= Q(pk__in=taught.values("pupil_id"))
    return Pupil.objects.filter(own).distinct()


@rule("consent.request")
def _request(user: User, school_class: Any) -> bool:
    return manages_class(user, school_class)


@rule("consent.view_coverage")
def _view_coverage(user: User, school_class: Any) -> bool:
    return manages_class(user, school_class)


def managed_classes(user: User) -> QuerySet[SchoolClass]:
    """The classes whose coverage this user may see: the twin of ``consent.view_coverage``."""
    if user.is_school_admin and user.school_id:
        return SchoolClass.objects.filter(school_id=user.school_id).order_by("name")
    if user.is_class_staff_role:
        return SchoolClass.objects.filter(staff=user).order_by("name")
    return SchoolClass.objects.none()


@rule("consent.edit_forms")
def _edit_forms(user: User, target: Any) -> bool:
    """The school's admins word the school's consent forms (a purpose, or the school itself)."""
    school_id = target.pk if isinstance(target, School) else getattr(target, "school_id", None)
    return is_school_admin(user, school_id)
