"""The demo school, built through the same actions as a real one: its people and classes.

Called by ``manage.py seed_demo`` (which refuses to run with DEBUG off unless forced), before
the parts the apps above register from their ``AppConfig.ready`` (:func:`register_part`:
messaging adds the conversations and their history) and the archive's part, which comes last.
Idempotent: a second run finds what exists and adds nothing twice. One write here is for the
demo only and named so: every demo account gets the published demo password
(:func:`set_demo_password`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.actions.classes import create_class
from accounts.actions.enrolment import assign_staff, enrol, set_guardianship
from accounts.actions.people import create_account, create_pupil
from accounts.actions.policies import change_policies
from accounts.actions.schools import create_school
from accounts.models import (
    Enrolment,
    Guardianship,
    Pupil,
    Role,
    School,
    SchoolClass,
    StaffAssignment,
    User,
)

PASSWORD = "schoolchat-demo"

# A part of the demo school an app above accounts seeds: it receives the context (``seed()``'s,
# and what earlier parts added) and may add to it.
Part = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class _Part:
    name: str
    order: int
    seed: Part


_PARTS: dict[str, _Part] = {}


def register_part(name: str, seed: Part, *, order: int) -> None:
    """Add an app's part of the demo school, seeded by ascending ``order`` after the people and
    classes. The same name with the same function again is a no-op (``ready`` may run twice in
    tests); another function under a taken name is a mistake."""
    known = _PARTS.get(name)
    if known is not None and known.seed is not seed:
        raise RuntimeError(f"a demo part named {name!r} is already registered")
    _PARTS[name] = _Part(name=name, order=order, seed=seed)


def parts() -> list[Part]:
    return [part.seed for part in sorted(_PARTS.values(), key=lambda p: (p.order, p.name))]

PEOPLE: list[tuple[str, str, str]] = [
    # username, display name, role
    ("admin", "Ms Okafor (office)", Role.ADMIN),
    ("dpo", "Mr Lindqvist (DPO)", Role.DPO),
    ("lead", "Mr Veilig (safeguarding)", Role.SAFEGUARDING),
    ("teacher", "Ms de Vries", Role.TEACHER),
    ("teacher5a", "Mr Ivanov", Role.TEACHER),
    ("head", "Mrs Brennan (head)", Role.TEACHER),
    ("parent", "Anna Jansen", Role.PARENT),
    ("parent2", "Mark Jansen", Role.PARENT),
    ("parent3", "Olga Petrova", Role.PARENT),
    ("parent4", "Sam Osei", Role.PARENT),
    ("parent5a", "Lucía García", Role.PARENT),
    ("parent5a2", "Tom Becker", Role.PARENT),
]

PUPILS: list[tuple[str, str, str, str, list[str]]] = [
    # ref, first name, last name, class, guardians
    ("P4B01", "Emma", "Jansen", "4B", ["parent", "parent2"]),
    ("P4B02", "Дмитрий", "Петров", "4B", ["parent3"]),
    ("P4B03", "Kofi", "Osei", "4B", ["parent4"]),
    ("P5A01", "Mateo", "García", "5A", ["parent5a"]),
    ("P5A02", "Lena", "Becker", "5A", ["parent5a2"]),
]

CLASSES = ("4B", "5A")
STAFF: list[tuple[str, str]] = [
    # class, username; the head teacher is in every class group.
    ("4B", "teacher"), ("5A", "teacher5a"), ("4B", "head"), ("5A", "head"),
]
def set_demo_password(user: User, password: str = PASSWORD) -> None:
    """Demo only: the account is active with the published password, no invitation needed."""
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["password", "is_active"])


def _term_start() -> date:
    start = date(timezone.now().year, 9, 1)
    return start.replace(year=start.year - 1) if start > timezone.localdate() else start


def seed_school() -> School:
    school, created = create_school("Demo Primary School", slug="demo")
    if created:
        # The demo signs in with a password alone. Its communication policy is the default
        # (docs/policy.md): no parent-to-parent one-to-ones, and a one-to-one between staff
        # and a pupil visible to the safeguarding leads.
        change_policies(school, {"require_staff_2fa": False}, actor=None)
    return school


def seed_people(school: School) -> dict[str, User]:
    users: dict[str, User] = {}
    for username, name, role in PEOPLE:
        user = User.objects.filter(username=username).first()
        if user is None:
            # The operator seeds the demo (no actor): the DPO's account is theirs to make.
            user = create_account(school, actor=None, username=username, display_name=name,
                                  role=role, email=f"{username}@demo.school.invalid")
            set_demo_password(user)
        users[username] = user
    actor = users["admin"]
    classes: dict[str, SchoolClass] = {}
    for name in CLASSES:
        found = SchoolClass.objects.filter(school=school, name=name).first()
        classes[name] = found or create_class(school, name, actor=actor)
    for class_name, username in STAFF:
        if not StaffAssignment.objects.filter(school_class=classes[class_name],
                                              user=users[username]).exists():
            assign_staff(users[username], classes[class_name], actor=actor)
    term_start = _term_start()
    for ref, first, last, class_name, guardians in PUPILS:
        pupil = Pupil.objects.filter(school=school, ref=ref).first()
        if pupil is None:
            pupil = create_pupil(school, actor=actor, ref=ref, first_name=first, last_name=last,
                                 date_of_birth=date(term_start.year - 9, 3, 14))
        if not Enrolment.objects.filter(pupil=pupil, school_class=classes[class_name]).exists():
            enrol(pupil, classes[class_name], actor=actor, starts_on=term_start)
        for username in guardians:
            if not Guardianship.objects.filter(guardian=users[username], pupil=pupil).exists():
                set_guardianship(users[username], pupil, actor=actor, relationship="parent")
    return users


def seed() -> dict[str, object]:
    """The demo school's people and classes; returns the context other apps' demo seeds
    receive and add to: {"school", "users"} (messaging adds "conversations")."""
    with transaction.atomic():
        school = seed_school()
        users = seed_people(school)
    return {"school": school, "users": users}
