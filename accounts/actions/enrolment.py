"""Who belongs where: a pupil's class, a guardian's link to a pupil, staff's classes.

Each change announces the classes it touches (:func:`accounts.actions.classes.roster_changed`:
their class conversations follow); a bulk caller (the roster import) passes ``sync=False`` and
announces each class once at the end.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from accounts.actions.classes import classes_of_pupil, roster_changed
from accounts.models import Enrolment, Guardianship, Pupil, SchoolClass, StaffAssignment, User
from archive import chain, scopes


def enrol(pupil: Pupil, school_class: SchoolClass, *, actor: User | None = None,
          starts_on: date | None = None, sync: bool = True) -> Enrolment:
    """Put a pupil in a class, ending any other current enrolment (a pupil is in one class).
    Archived as ``admin.pupil_moved`` when another enrolment ended, ``admin.pupil_enrolled``
    for a first class; nothing when the pupil is already in this class."""
    today = starts_on or timezone.localdate()
    with transaction.atomic():
        touched = [school_class]
        existing = None
        for enrolment in Enrolment.objects.open_on(today).filter(pupil=pupil).select_related(
            "school_class"
        ):
            if enrolment.school_class_id == school_class.pk and existing is None:
                existing = enrolment
                continue
            enrolment.ends_on = max(today, enrolment.starts_on)
            enrolment.save(update_fields=["ends_on"])
            touched.append(enrolment.school_class)
        created = existing is None
        if existing is None:
            existing = Enrolment.objects.create(pupil=pupil, school_class=school_class,
                                                starts_on=today)
        if created or len(touched) > 1:
            left = [c.pk for c in touched[1:]]
            chain.record("admin.pupil_moved" if left else "admin.pupil_enrolled",
                           scope=scopes.school(pupil.school_id), actor=actor, subjects=[pupil],
                           payload={"pupil": pupil.pk, "school_class": school_class.pk,
                                    "from": left})
        if sync:
            roster_changed(touched, actor=actor)
    return existing


def set_guardianship(guardian: User, pupil: Pupil, *, actor: User | None = None,
                     relationship: str = "", parental_responsibility: bool = True,
                     no_contact: bool = False, sync: bool = True) -> Guardianship:
    """Link a guardian to a pupil, or change the link's flags (``admin.guardianship_added`` or
    ``admin.guardianship_changed``)."""
    with transaction.atomic():
        guardianship, created = Guardianship.objects.update_or_create(
            guardian=guardian, pupil=pupil,
            defaults={"relationship": relationship,
                      "parental_responsibility": parental_responsibility,
                      "no_contact": no_contact},
        )
        chain.record(
            "admin.guardianship_added" if created else "admin.guardianship_changed",
            scope=scopes.school(pupil.school_id), actor=actor, subjects=[guardian, pupil],
            payload={"guardianship": guardianship.pk, "guardian": guardian.pk, "pupil": pupil.pk,
                     "relationship": relationship,
                     "parental_responsibility": parental_responsibility,
                     "no_contact": no_contact},
        )
        if sync:
            roster_changed(classes_of_pupil(pupil), actor=actor)
    return guardianship


def remove_guardianship(guardianship: Guardianship, *, actor: User | None = None,
                        sync: bool = True) -> None:
    """The guardian is no longer linked to the pupil (``admin.guardianship_removed``)."""
    pupil, guardian = guardianship.pupil, guardianship.guardian
    with transaction.atomic():
        chain.record("admin.guardianship_removed", scope=scopes.school(pupil.school_id),
                       actor=actor, subjects=[guardian, pupil],
                       payload={"guardianship": guardianship.pk, "guardian": guardian.pk,
                                "pupil": pupil.pk})
        guardianship.delete()
        if sync:
            roster_changed(classes_of_pupil(pupil), actor=actor)


def assign_staff(user: User, school_class: SchoolClass, *, actor: User | None = None) -> None:
    with transaction.atomic():
        StaffAssignment.objects.get_or_create(school_class=school_class, user=user)
        chain.record("admin.staff_assigned", scope=scopes.school(school_class.school_id),
                       actor=actor, subjects=[user],
                       payload={"user": user.pk, "school_class": school_class.pk})
        roster_changed([school_class], actor=actor)


def unassign_staff(user: User, school_class: SchoolClass, *, actor: User | None = None) -> None:
    with transaction.atomic():
        StaffAssignment.objects.filter(school_class=school_class, user=user).delete()
        chain.record("admin.staff_unassigned", scope=scopes.school(school_class.school_id),
                       actor=actor, subjects=[user],
                       payload={"user": user.pk, "school_class": school_class.pk})
        roster_changed([school_class], actor=actor)
