"""People: accounts, pupils, and changes to their details and roles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.actions.classes import classes_of_pupil, roster_changed
from accounts.actions.sessions import require_fresh_login
from accounts.models import OPERATOR_ROLES, Pupil, Role, School, User
from archive import chain, scopes
from archive.entry import Entry

# What the school admin's person page may change.
PERSON_FIELDS = frozenset({"display_name", "role", "email", "phone", "sourced_id"})
# What the roster (or an admin) may change on a pupil.
PUPIL_FIELDS = frozenset({"first_name", "last_name", "date_of_birth", "left_on", "sourced_id"})


def operator_only(role: str, actor: User | None) -> None:
    """Separation of duties: a DPO's or safeguarding lead's account is created and its links
    issued only by the operator on the command line (no actor), never by a person."""
    if role in OPERATOR_ROLES and actor is not None:
        raise PermissionDenied("only the operator manages this role")


def create_account(school: School, *, actor: User | None, username: str, display_name: str,
                   role: str, email: str = "", phone: str = "", ref: str = "") -> User:
    """An inactive account with no password; it is used through an invitation link."""
    operator_only(role, actor)
    with transaction.atomic():
        user = User(school=school, username=username, display_name=display_name, role=role,
                    email=email, phone=phone, ref=ref, is_active=False, is_staff=False)
        user.set_unusable_password()
        user.save()
        chain.record("admin.account_created", scope=scopes.school(school.pk), actor=actor,
                       subjects=[user], payload={"user": user.pk, "role": role})
    return user


def create_accounts(school: School, people: Sequence[User], *, actor: User | None) -> list[User]:
    """:func:`create_account` for many people at once (the roster import's new guardians): the
    unsaved ``people`` (username, display name, role, e-mail, phone, ref set) become inactive
    accounts with no password, written together, with one ``admin.account_created`` record
    each."""
    for person in people:
        operator_only(person.role, actor)
        if person.pk is not None:
            raise ValueError("create_accounts makes new accounts only")
        person.school = school
        person.is_active = False
        person.is_staff = False
        person.set_unusable_password()
    with transaction.atomic():
        created = User.objects.bulk_create(people)
        chain.record_many("admin.account_created", scope=scopes.school(school.pk), entries=[
            Entry(actor=actor, subjects=[user], payload={"user": user.pk, "role": user.role})
            for user in created])
    return created


def change_person(person: User, changes: Mapping[str, object], *, actor: User | None) -> User:
    """Change a person's details or role (``admin.person_changed``). A role that needs a
    second factor they have not set up ends their sessions: their next login asks for it."""
    unknown = set(changes) - PERSON_FIELDS
    if unknown:
        raise ValueError(f"not a person's detail: {', '.join(sorted(unknown))}")
    operator_only(person.role, actor)
    operator_only(str(changes.get("role", "")), actor)
    with transaction.atomic():
        for name, value in changes.items():
            setattr(person, name, value)
        person.save(update_fields=sorted(changes) or None)
        chain.record("admin.person_changed", scope=scopes.school(person.school_id), actor=actor,
                       subjects=[person], payload={"user": person.pk, "fields": sorted(changes)})
        if "role" in changes and person.needs_two_factor and not person.totp_confirmed_at:
            require_fresh_login([person], actor=actor, reason="role_changed")
    return person


def create_pupil(school: School, *, actor: User | None, ref: str, first_name: str,
                 last_name: str, date_of_birth: date | None = None) -> Pupil:
    with transaction.atomic():
        pupil = Pupil.objects.create(school=school, ref=ref, first_name=first_name,
                                     last_name=last_name, date_of_birth=date_of_birth)
        chain.record("admin.pupil_created", scope=scopes.school(school.pk), actor=actor,
                       subjects=[pupil], payload={"pupil": pupil.pk})
    return pupil


def create_pupils(school: School, pupils: Sequence[Pupil], *, actor: User | None) -> list[Pupil]:
    """:func:`create_pupil` for many pupils at once (the roster import): the unsaved
    ``pupils`` are written together, with one ``admin.pupil_created`` record each."""
    for pupil in pupils:
        if pupil.pk is not None:
            raise ValueError("create_pupils makes new pupils only")
        pupil.school = school
    with transaction.atomic():
        created = Pupil.objects.bulk_create(pupils)
        chain.record_many("admin.pupil_created", scope=scopes.school(school.pk), entries=[
            Entry(actor=actor, subjects=[pupil], payload={"pupil": pupil.pk})
            for pupil in created])
    return created


def change_pupil(pupil: Pupil, changes: Mapping[str, object], *, actor: User | None) -> Pupil:
    """Change a pupil's name, birth date, or clear a leave date (a pupil who comes back)."""
    unknown = set(changes) - PUPIL_FIELDS
    if unknown:
        raise ValueError(f"not a pupil's detail: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        for name, value in changes.items():
            setattr(pupil, name, value)
        pupil.save(update_fields=sorted(changes) or None)
        chain.record("admin.pupil_changed", scope=scopes.school(pupil.school_id), actor=actor,
                       subjects=[pupil], payload={"pupil": pupil.pk, "fields": sorted(changes)})
    return pupil


def create_pupil_account(pupil: Pupil, *, actor: User | None) -> User:
    """Give a pupil their own (inactive until invited) account; it joins class groups only as
    the school's policy and consent allow (see
    :func:`messaging.actions.classes.pupil_may_participate`)."""
    with transaction.atomic():
        if pupil.user is not None:
            return pupil.user
        user = create_account(pupil.school, actor=actor,
                              username=f"{pupil.school.slug}-{pupil.ref}".lower()[:150],
                              display_name=f"{pupil.first_name} {pupil.last_name}",
                              role=Role.PUPIL)
        pupil.user = user
        pupil.save(update_fields=["user"])
        roster_changed(classes_of_pupil(pupil), actor=actor)
    return user
