"""The accounts app's access rules, registered with :func:`accounts.access.rule`: schools,
people and contact details (the rules on conversations and their members are messaging's,
in :mod:`messaging.access`).

Kept apart from :mod:`accounts.access` (which holds the registry every app imports) so that
importing the registry never imports models.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.access import rule
from accounts.models import OPERATOR_ROLES, Role, School, User

# Who may see another person's phone number and e-mail address besides that person.
CONTACT_ROLES = frozenset({Role.ADMIN, Role.DPO})


def _school_id_of(obj: Any) -> int | None:
    """A school's id, or that of the school a person, class or other object belongs to."""
    if isinstance(obj, School):
        return obj.pk
    school_id = getattr(obj, "school_id", None)
    return school_id if isinstance(school_id, int) else None


@rule("school.manage")
def _manage_school(user: User, obj: Any) -> bool:
    """Only the admins of that very school manage it (people, classes, groups, policies)."""
    school_id = _school_id_of(obj)
    return school_id is not None and user.role == Role.ADMIN and user.school_id == school_id


@rule("school.dashboard")
def _school_dashboard(user: User, obj: Any) -> bool:
    """The school's overview (people, classes, consent, announcements, archive status, as
    counts): the admins of that school, who act on what it shows."""
    return _manage_school(user, obj)


@rule("school.print_letters")
def _print_letters(user: User, obj: Any) -> bool:
    """Printing the invitation letters issues a link for each family without an e-mail
    address: the admins of that school, as for any other invitation."""
    return _manage_school(user, obj)


def operator_managed(person: User) -> bool:
    """Whether only the operator manages this account (the DPO and the safeguarding lead):
    no school admin and no roster import changes it (separation of duties)."""
    return person.role in OPERATOR_ROLES


def is_guardian_account(person: User) -> bool:
    """A parent's or guardian's account: what a roster file may link to a pupil as a guardian
    (and unlink), never a member of staff's."""
    return person.role == Role.PARENT


@rule("roster_import.view")
def _view_roster_import(user: User, obj: Any) -> bool:
    """A roster import's progress and result (names, line errors): the admins of the school it
    was for, whoever of them started it; nobody else, not even another school's admins."""
    return _manage_school(user, obj)


@rule("person.manage")
def _manage_person(user: User, person: Any) -> bool:
    """A school admin edits, links, resets and offboards the people of their school, except
    those only the operator manages (:func:`operator_managed`)."""
    return (isinstance(person, User) and not operator_managed(person)
            and _manage_school(user, person))


def manageable_people(user: User) -> QuerySet[User]:
    """The people whose page this user may open: the queryset twin of ``person.manage``."""
    if not (user.is_active and user.role == Role.ADMIN and user.school_id is not None):
        return User.objects.none()
    return User.objects.filter(school_id=user.school_id).exclude(role__in=OPERATOR_ROLES)


@rule("user.see_contact")
def _see_contact(user: User, person: Any) -> bool:
    if not isinstance(person, User):
        return False
    if person.pk == user.pk:
        return True
    return user.role in CONTACT_ROLES and person.school_id == user.school_id
