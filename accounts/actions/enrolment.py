"""Who belongs where: a pupil's class, a guardian's link to a pupil, staff's classes.

Each change announces the classes it touches (:func:`accounts.actions.classes.roster_changed`:
their class conversations follow); a bulk caller (the roster import) passes ``sync=False`` and
announces each class once at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.utils import timezone

from accounts.actions.classes import classes_of_pupil, roster_changed
from accounts.models import Enrolment, Guardianship, Pupil, SchoolClass, StaffAssignment, User
from archive import chain, scopes
from archive.entry import Entry


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


def enrol_many(placements: Sequence[tuple[Pupil, SchoolClass]], *, actor: User | None = None,
                starts_on: date | None = None) -> list[SchoolClass]:
    """:func:`enrol` (with ``sync=False``) for many pupils at once, each pupil at most once:
    the same rows and the same ``admin.pupil_moved`` / ``admin.pupil_enrolled`` record per
    pupil, read and written together. Returns every class touched (joined or left), for the
    caller to announce."""
    today = starts_on or timezone.localdate()
    if len({pupil.pk for pupil, _ in placements}) != len(placements):
        raise ValueError("enrol_many places each pupil once")
    if not placements:
        return []
    with transaction.atomic():
        open_rows: dict[int, list[Enrolment]] = {}
        for enrolment in Enrolment.objects.open_on(today).filter(
            pupil__in=[pupil.pk for pupil, _ in placements]
        ).select_related("school_class").order_by("pk"):
            open_rows.setdefault(enrolment.pupil_id, []).append(enrolment)
        touched: dict[int, SchoolClass] = {}
        ended: list[Enrolment] = []
        new: list[Enrolment] = []
        moved: list[Entry] = []
        enrolled: list[Entry] = []
        for pupil, school_class in placements:
            touched[school_class.pk] = school_class
            existing = None
            left: list[int] = []
            for enrolment in open_rows.get(pupil.pk, []):
                if enrolment.school_class_id == school_class.pk and existing is None:
                    existing = enrolment
                    continue
                enrolment.ends_on = max(today, enrolment.starts_on)
                ended.append(enrolment)
                left.append(enrolment.school_class_id)
                touched[enrolment.school_class_id] = enrolment.school_class
            if existing is None:
                new.append(Enrolment(pupil=pupil, school_class=school_class, starts_on=today))
            if existing is None or left:
                entry = Entry(actor=actor, subjects=[pupil],
                              payload={"pupil": pupil.pk, "school_class": school_class.pk,
                                       "from": left})
                (moved if left else enrolled).append(entry)
        Enrolment.objects.bulk_update(ended, ["ends_on"])
        Enrolment.objects.bulk_create(new)
        scope = scopes.school(placements[0][0].school_id)
        chain.record_many("admin.pupil_moved", scope=scope, entries=moved)
        chain.record_many("admin.pupil_enrolled", scope=scope, entries=enrolled)
    return list(touched.values())


def end_enrolments(enrolments: Sequence[Enrolment], *, actor: User | None = None,
                   on: date | None = None) -> list[SchoolClass]:
    """The pupils are no longer in these classes from ``on`` (today by default): a roster
    file ended their enrolment, one ``admin.pupil_unenrolled`` record each. Returns the
    classes touched, for the caller to announce."""
    day = on or timezone.localdate()
    if not enrolments:
        return []
    with transaction.atomic():
        for enrolment in enrolments:
            enrolment.ends_on = max(day, enrolment.starts_on)
        Enrolment.objects.bulk_update(enrolments, ["ends_on"])
        chain.record_many("admin.pupil_unenrolled", scope=scopes.school(
            enrolments[0].pupil.school_id), entries=[
            Entry(actor=actor, subjects=[e.pupil],
                  payload={"pupil": e.pupil_id, "school_class": e.school_class_id})
            for e in enrolments])
    return list({e.school_class_id: e.school_class for e in enrolments}.values())


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


def set_guardianships(links: Sequence[Guardianship], *,
                      actor: User | None = None) -> list[Guardianship]:
    """:func:`set_guardianship` (with ``sync=False``) for many links at once: each unsaved
    ``links`` item names a guardian, a pupil and the flags; an existing link of that guardian
    and pupil takes the flags, otherwise the link is made. One ``admin.guardianship_added`` or
    ``admin.guardianship_changed`` record per link, as for one. The caller announces the
    classes."""
    if not links:
        return []
    with transaction.atomic():
        found = {
            (g.guardian_id, g.pupil_id): g
            for g in Guardianship.objects.select_for_update().filter(
                pupil_id__in={link.pupil_id for link in links},
                guardian_id__in={link.guardian_id for link in links})
        }
        fields = ["relationship", "parental_responsibility", "no_contact"]
        changed: list[Guardianship] = []
        new: list[Guardianship] = []
        done: list[tuple[Guardianship, Guardianship, bool]] = []
        for link in links:
            existing = found.get((link.guardian_id, link.pupil_id))
            if existing is None:
                new.append(link)
                done.append((link, link, True))
            else:
                for name in fields:
                    setattr(existing, name, getattr(link, name))
                changed.append(existing)
                done.append((existing, link, False))
        Guardianship.objects.bulk_update(changed, fields)
        Guardianship.objects.bulk_create(new)
        scope = scopes.school(links[0].pupil.school_id)
        entries: dict[bool, list[Entry]] = {True: [], False: []}
        for guardianship, link, created in done:
            entries[created].append(Entry(
                actor=actor, subjects=[link.guardian, link.pupil],
                payload={"guardianship": guardianship.pk, "guardian": guardianship.guardian_id,
                         "pupil": guardianship.pupil_id,
                         "relationship": guardianship.relationship,
                         "parental_responsibility": guardianship.parental_responsibility,
                         "no_contact": guardianship.no_contact}))
        chain.record_many("admin.guardianship_added", scope=scope, entries=entries[True])
        chain.record_many("admin.guardianship_changed", scope=scope, entries=entries[False])
    return [guardianship for guardianship, _link, _created in done]


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


def assign_staff(user: User, school_class: SchoolClass, *, actor: User | None = None,
                 sync: bool = True) -> None:
    """``sync=False``: the caller (a roster file) announces the class once, at its end."""
    with transaction.atomic():
        StaffAssignment.objects.get_or_create(school_class=school_class, user=user)
        chain.record("admin.staff_assigned", scope=scopes.school(school_class.school_id),
                       actor=actor, subjects=[user],
                       payload={"user": user.pk, "school_class": school_class.pk})
        if sync:
            roster_changed([school_class], actor=actor)


def unassign_staff(user: User, school_class: SchoolClass, *, actor: User | None = None,
                   sync: bool = True) -> None:
    with transaction.atomic():
        StaffAssignment.objects.filter(school_class=school_class, user=user).delete()
        chain.record("admin.staff_unassigned", scope=scopes.school(school_class.school_id),
                       actor=actor, subjects=[user],
                       payload={"user": user.pk, "school_class": school_class.pk})
        if sync:
            roster_changed([school_class], actor=actor)
