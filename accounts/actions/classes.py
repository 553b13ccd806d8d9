"""Classes and their conversations: a class conversation's members follow the roster.

Class conversation membership is derived, never hand-edited: the actions that change an
enrolment, a guardianship or a staff assignment call :func:`sync_class_conversation`, and so
does a consent decision (see :func:`on_consent_changed`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import archive
import consent
from accounts.models import Enrolment, Guardianship, Pupil, School, SchoolClass, StaffAssignment, User
from archive import scopes
from messaging.actions import membership as messaging_actions
from messaging.models import Conversation, Membership


def age_on(date_of_birth: date | None, on: date) -> int | None:
    if date_of_birth is None:
        return None
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - int(before_birthday)


def pupil_may_participate(pupil: Pupil, school: School, on: date | None = None) -> bool:
    """A pupil's own account joins class chat only when the school allows pupil accounts and,
    below the digital-consent age (or with no birth date on record), a guardian consented."""
    user = pupil.user
    if user is None or user.left_at is not None or not school.pupil_accounts:
        return False
    age = age_on(pupil.date_of_birth, on or timezone.localdate())
    if age is not None and age >= school.digital_consent_age:
        return True
    return consent.has_consent(pupil, consent.PARTICIPATION)


def class_members(school_class: SchoolClass) -> dict[int, bool]:
    """The derived membership of a class conversation: user id -> manager."""
    school = school_class.school
    members: dict[int, bool] = {}
    for user_id in StaffAssignment.objects.filter(
        school_class=school_class, user__left_at__isnull=True
    ).values_list("user_id", flat=True):
        members[user_id] = True
    pupil_ids = list(
        Enrolment.objects.current().filter(school_class=school_class)
        .values_list("pupil_id", flat=True)
    )
    for user_id in Guardianship.objects.filter(
        pupil_id__in=pupil_ids, parental_responsibility=True, no_contact=False,
        guardian__left_at__isnull=True,
    ).values_list("guardian_id", flat=True):
        members.setdefault(user_id, False)
    if school.pupil_accounts:
        for pupil in Pupil.objects.filter(pk__in=pupil_ids, user__isnull=False).select_related(
            "user"
        ):
            if pupil_may_participate(pupil, school):
                assert pupil.user_id is not None
                members.setdefault(pupil.user_id, False)
    return members


def class_conversation(school_class: SchoolClass) -> Conversation:
    conversation = Conversation.objects.filter(
        school_class=school_class, kind=Conversation.Kind.CLASS
    ).order_by("pk").first()
    if conversation is None:
        conversation = Conversation.objects.create(
            school=school_class.school, kind=Conversation.Kind.CLASS,
            title=f"{school_class.name} class group", school_class=school_class,
        )
    return conversation


def sync_class_conversation(school_class: SchoolClass, actor: User | None = None) -> dict[str, int]:
    """Bring the class conversation's members to the derived set; returns what changed."""
    with transaction.atomic():
        conversation = class_conversation(school_class)
        wanted = class_members(school_class)
        current = set(
            Membership.objects.filter(conversation=conversation, ended_at__isnull=True)
            .values_list("user_id", flat=True)
        )
        removed = added = 0
        for user in User.objects.filter(pk__in=current - set(wanted)):
            removed += messaging_actions.end_membership(conversation, user, actor=actor)
        for user in User.objects.filter(pk__in=set(wanted) - current):
            messaging_actions.add_member(conversation, user, actor=actor, manager=wanted[user.pk])
            added += 1
    return {"added": added, "removed": removed}


def classes_of_pupil(pupil: Pupil) -> list[SchoolClass]:
    return list(SchoolClass.objects.filter(
        enrolments__in=Enrolment.objects.current().filter(pupil=pupil)).distinct())


def sync_classes(classes: Iterable[SchoolClass], actor: User | None = None) -> None:
    for school_class in {c.pk: c for c in classes}.values():
        sync_class_conversation(school_class, actor=actor)


def on_consent_changed(sender: Any, pupil: Pupil, purpose: str, **kwargs: Any) -> None:
    """A participation decision may let a pupil in or take them out of their class chats."""
    if purpose != consent.PARTICIPATION:
        return
    sync_classes(classes_of_pupil(pupil))


def create_class(school: School, name: str, *, actor: User | None) -> SchoolClass:
    """A new class with its (for now empty) class conversation. Raises ValidationError when
    the school already has a class of that name."""
    with transaction.atomic():
        if SchoolClass.objects.filter(school=school, name=name).exists():
            raise ValidationError(_("There is already a class with this name."))
        created = SchoolClass.objects.create(school=school, name=name)
        sync_class_conversation(created, actor=actor)
        archive.record("admin.class_created", scope=scopes.school(school.pk), actor=actor,
                       subjects=[], payload={"school_class": created.pk, "name": name})
    return created
