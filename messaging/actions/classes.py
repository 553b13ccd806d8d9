"""Class conversations: their members follow the roster.

A class conversation's membership is derived, never hand-edited: :func:`class_members` says
who belongs (the class's staff, the guardians with parental responsibility and contact of its
current pupils, and the pupils whose own accounts may take part), and
:func:`sync_class_conversation` brings the conversation to that set. ``accounts`` does not
know about conversations: its actions send :data:`accounts.signals.roster_changed` inside
their transaction and :data:`accounts.signals.person_left` when a leaver's account closes,
and consent sends :data:`consent.signals.consent_changed` after a decision commits; the
receivers here (connected in :class:`messaging.apps.MessagingConfig`) follow them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

import consent
from accounts.actions.classes import classes_of_pupil
from accounts.models import Enrolment, Guardianship, Pupil, School, SchoolClass, StaffAssignment, User
from consent.services import has_consent
from messaging.actions import membership
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
    return has_consent(pupil, consent.PARTICIPATION)


def class_members(school_class: SchoolClass) -> dict[int, bool]:
    """The derived membership of a class conversation: user id -> manager."""
    school = school_class.school
    members: dict[int, bool] = dict.fromkeys(class_staff_ids(school_class), True)
    pupil_ids = current_pupil_ids(school_class)
    for user_id in class_guardian_ids(pupil_ids):
        members.setdefault(user_id, False)
    if school.pupil_accounts:
        for pupil in Pupil.objects.filter(pk__in=pupil_ids, user__isnull=False).select_related(
            "user"
        ):
            if pupil_may_participate(pupil, school):
                assert pupil.user_id is not None
                members.setdefault(pupil.user_id, False)
    return members


def class_staff_ids(school_class: SchoolClass) -> list[int]:
    """The class's staff (its teachers), leavers excepted."""
    return list(StaffAssignment.objects.filter(school_class=school_class,
                                               user__left_at__isnull=True)
                .values_list("user_id", flat=True))


def current_pupil_ids(school_class: SchoolClass) -> list[int]:
    """The pupils in the class today (:meth:`EnrolmentQuerySet.current`)."""
    return list(Enrolment.objects.current().filter(school_class=school_class)
                .values_list("pupil_id", flat=True))


def class_guardian_ids(pupil_ids: list[int]) -> list[int]:
    """The guardians a class's families are reached through: parental responsibility, no
    contact ban, not a leaver."""
    return list(Guardianship.objects.filter(
        pupil_id__in=pupil_ids, parental_responsibility=True, no_contact=False,
        guardian__left_at__isnull=True,
    ).values_list("guardian_id", flat=True).distinct())


def class_conversation(school_class: SchoolClass) -> Conversation:
    """The class's conversation, made (empty) when it has none yet."""
    conversation = Conversation.objects.filter(
        school_class=school_class, kind=Conversation.Kind.CLASS
    ).order_by("pk").first()
    if conversation is None:
        conversation = Conversation.objects.create(
            # No title: the name is made from the class in each reader's language.
            school=school_class.school, kind=Conversation.Kind.CLASS, school_class=school_class,
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
        removed = 0
        for user in User.objects.filter(pk__in=current - set(wanted)):
            removed += membership.end_membership(conversation, user, actor=actor)
        added = len(membership.add_each(
            conversation, list(User.objects.filter(pk__in=set(wanted) - current).order_by("pk")),
            actor=actor, managers={pk for pk, manager in wanted.items() if manager}))
    return {"added": added, "removed": removed}


def sync_classes(classes: Iterable[SchoolClass], actor: User | None = None) -> None:
    """Re-sync each of these classes' conversations once."""
    for school_class in {c.pk: c for c in classes}.values():
        sync_class_conversation(school_class, actor=actor)


def end_memberships(user: User, *, actor: User | None = None) -> int:
    """End every open membership of a person (a leaver); returns how many ended."""
    ended = 0
    with transaction.atomic():
        for current in Membership.objects.filter(
            user=user, ended_at__isnull=True
        ).select_related("conversation"):
            ended += membership.end_membership(current.conversation, user, actor=actor)
    return ended


# --- receivers: connected in MessagingConfig.ready -------------------------------------------

def on_roster_changed(sender: Any, *, school_classes: Iterable[SchoolClass],
                      actor: User | None = None, **kwargs: Any) -> None:
    """An enrolment, guardianship, staff assignment, new class, pupil account or the school's
    pupil policies changed: the classes' conversations follow, in the same transaction."""
    sync_classes(school_classes, actor=actor)


def on_person_left(sender: Any, *, user: User, actor: User | None = None,
                   **kwargs: Any) -> None:
    """A leaver's account closed: they leave every conversation, in the same transaction."""
    end_memberships(user, actor=actor)


def on_consent_changed(sender: Any, *, pupil: Pupil, purpose: str, **kwargs: Any) -> None:
    """A participation decision may let a pupil in or take them out of their class chats."""
    if purpose != consent.PARTICIPATION:
        return
    sync_classes(classes_of_pupil(pupil))
