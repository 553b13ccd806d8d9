"""Classes, and telling the rest of the system when who belongs to them changes.

A class's roster is its current enrolments, the guardianships of its pupils, its staff
assignments and the school's pupil policies. Every action that changes one of them calls
:func:`roster_changed` inside its transaction, which sends
:data:`accounts.signals.roster_changed`: messaging keeps the class conversations' members in
step (:mod:`messaging.actions.classes`) without ``accounts`` knowing about conversations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import signals
from accounts.models import Enrolment, Pupil, School, SchoolClass, User
from archive import chain, scopes
from archive.entry import Entry


def classes_of_pupil(pupil: Pupil) -> list[SchoolClass]:
    return list(SchoolClass.objects.filter(
        enrolments__in=Enrolment.objects.current().filter(pupil=pupil)).distinct())


def roster_changed(classes: Iterable[SchoolClass], actor: User | None = None) -> None:
    """Who belongs to these classes may have changed: send
    :data:`accounts.signals.roster_changed` with each class once (nothing for none)."""
    unique = list({c.pk: c for c in classes}.values())
    if unique:
        signals.roster_changed.send(sender=SchoolClass, school_classes=unique, actor=actor)


def create_class(school: School, name: str, *, actor: User | None) -> SchoolClass:
    """A new class (messaging gives it its, for now empty, class conversation). Raises
    ValidationError when the school already has a class of that name."""
    with transaction.atomic():
        if SchoolClass.objects.filter(school=school, name=name).exists():
            raise ValidationError(_("There is already a class with this name."))
        created = SchoolClass.objects.create(school=school, name=name)
        roster_changed([created], actor=actor)
        chain.record("admin.class_created", scope=scopes.school(school.pk), actor=actor,
                       subjects=[], payload={"school_class": created.pk, "name": name})
    return created


def create_classes(school: School, names: Iterable[str], *, actor: User | None,
                   sourced_ids: Mapping[str, str] | None = None) -> list[SchoolClass]:
    """:func:`create_class` for several new classes at once (the roster import): written
    together, announced once, one ``admin.class_created`` record each. Raises ValidationError
    when the school already has a class of one of these names."""
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return []
    with transaction.atomic():
        if SchoolClass.objects.filter(school=school, name__in=wanted).exists():
            raise ValidationError(_("There is already a class with this name."))
        created = SchoolClass.objects.bulk_create(
            [SchoolClass(school=school, name=name, sourced_id=(sourced_ids or {}).get(name, ""))
             for name in wanted])
        roster_changed(created, actor=actor)
        chain.record_many("admin.class_created", scope=scopes.school(school.pk), entries=[
            Entry(actor=actor, subjects=[], payload={"school_class": c.pk, "name": c.name})
            for c in created])
    return created


# What a roster file may change on a class: its name and its OneRoster sourcedId.
CLASS_FIELDS = frozenset({"name", "sourced_id"})


def change_class(school_class: SchoolClass, changes: Mapping[str, str], *,
                 actor: User | None) -> SchoolClass:
    """Rename a class or record its sourcedId (``admin.class_changed``). Raises
    ValidationError when another class of the school has the new name."""
    unknown = set(changes) - CLASS_FIELDS
    if unknown:
        raise ValueError(f"not a class's detail: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        name = changes.get("name")
        if name is not None and SchoolClass.objects.filter(
                school_id=school_class.school_id, name=name).exclude(pk=school_class.pk).exists():
            raise ValidationError(_("There is already a class with this name."))
        for key, value in changes.items():
            setattr(school_class, key, value)
        school_class.save(update_fields=sorted(changes) or None)
        chain.record("admin.class_changed", scope=scopes.school(school_class.school_id),
                     actor=actor, subjects=[],
                     payload={"school_class": school_class.pk, "fields": sorted(changes)})
    return school_class
