"""The demo school, built through the same actions as a real one.

Called by ``manage.py seed_demo`` (which refuses to run with DEBUG off unless forced).
Idempotent: a second run finds what exists and adds nothing twice. Two writes here are for the
demo only and named so: every demo account gets the published demo password
(:func:`set_demo_password`), and the demo history is back-dated over the last days
(:func:`backdate_message`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.actions.classes import class_conversation, create_class
from accounts.actions.enrolment import assign_staff, enrol, set_guardianship
from accounts.actions.groups import add_group_member, create_group
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
from messaging.actions import send as messaging_send
from messaging.models import Conversation, Message

PASSWORD = "schoolchat-demo"
NAMESPACE = uuid.UUID("5c1e0c4a-0000-4000-8000-00000000d3e0")

PEOPLE: list[tuple[str, str, str]] = [
    # username, display name, role
    ("admin", "Ms Okafor (office)", Role.ADMIN),
    ("dpo", "Mr Lindqvist (DPO)", Role.DPO),
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

HISTORY: dict[str, list[tuple[int, str, str]]] = {
    # conversation title -> (days ago, username, text)
    "4B class group": [
        (3, "teacher", "Good morning 4B families! Swimming starts next Tuesday: towel and swimsuit, please."),
        (3, "parent", "Thank you! Is there a changing room for the children?"),
        (3, "teacher", "Yes, with two teachers supervising."),
        (2, "parent3", "Дмитрий will be late on Thursday (dentist at 9:00)."),
        (1, "teacher", "Reading books go home today; please sign the reading diary."),
    ],
    "5A class group": [
        (2, "teacher5a", "Welcome to the 5A group. Our trip to the science museum is on Friday."),
        (1, "parent5a", "Do they need a packed lunch?"),
        (1, "teacher5a", "Yes please, and a water bottle."),
    ],
    "Staff room": [
        (2, "head", "Staff meeting moved to Wednesday 15:30."),
        (1, "teacher", "Could someone cover my Friday playground duty?"),
        (1, "teacher5a", "I can take it."),
    ],
    "School announcements": [
        (4, "head", "The school is closed on Monday for a teacher training day."),
    ],
}

CLASSES = ("4B", "5A")
STAFF: list[tuple[str, str]] = [
    # class, username; the head teacher is in every class group.
    ("4B", "teacher"), ("5A", "teacher5a"), ("4B", "head"), ("5A", "head"),
]
GROUPS: dict[str, tuple[bool, list[str]]] = {
    # title -> (announcements, members)
    "Staff room": (False, ["teacher", "teacher5a", "head", "admin"]),
    "School announcements": (
        True, ["head", "teacher", "teacher5a", "parent", "parent2", "parent3", "parent4",
               "parent5a", "parent5a2"],
    ),
}


def set_demo_password(user: User, password: str = PASSWORD) -> None:
    """Demo only: the account is active with the published password, no invitation needed."""
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["password", "is_active"])


def backdate_message(message: Message, sent_at: datetime) -> None:
    """Demo only: a history message appears sent on an earlier day."""
    Message.objects.filter(pk=message.pk).update(created_at=sent_at)


def _term_start() -> date:
    start = date(timezone.now().year, 9, 1)
    return start.replace(year=start.year - 1) if start > timezone.localdate() else start


def seed_school() -> School:
    school, created = create_school("Demo Primary School", slug="demo")
    if created:
        # The demo signs in with a password alone.
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


def seed_conversations(school: School, users: dict[str, User]) -> dict[str, Conversation]:
    """The class groups (their members follow the roster) and the school's other groups."""
    conversations = {
        conversation.title: conversation
        for conversation in (class_conversation(c)
                             for c in SchoolClass.objects.filter(school=school, name__in=CLASSES))
    }
    for title, (announcements, members) in GROUPS.items():
        group = Conversation.objects.filter(school=school, title=title).first()
        if group is None:
            group = create_group(school, title, announcements=announcements,
                                 actor=users["admin"])
        for username in members:
            user = users[username]
            add_group_member(group, user, actor=users["admin"],
                             manager=user.role in (Role.TEACHER, Role.ADMIN))
        conversations[title] = group
    return conversations


def seed_history(users: dict[str, User], conversations: dict[str, Conversation]) -> None:
    now = timezone.now()
    for title, lines in HISTORY.items():
        conversation = conversations[title]
        for index, (days_ago, username, text) in enumerate(lines):
            # A fixed client_id per line makes a second run a no-op (post_message is idempotent).
            client_id = uuid.uuid5(NAMESPACE, f"{title}/{index}")
            message, created = messaging_send.post_message(
                users[username], conversation, text, client_id=client_id, limited=False
            )
            if created:
                backdate_message(message, now - timedelta(days=days_ago,
                                                          minutes=(len(lines) - index) * 7))


def seed() -> dict[str, object]:
    """The demo school's people, classes, conversations and history; returns the context
    other apps' demo seeds receive: {"school", "users", "conversations"}."""
    with transaction.atomic():
        school = seed_school()
        users = seed_people(school)
    conversations = seed_conversations(school, users)
    seed_history(users, conversations)
    return {"school": school, "users": users, "conversations": conversations}
