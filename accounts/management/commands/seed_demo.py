"""Load the demo school. Idempotent: a second run reuses what exists and adds nothing twice.

Safety: it refuses to run when DEBUG is off unless --force is given, so a production database
never gets demo accounts with a published password by accident.
"""

from __future__ import annotations

import importlib
import uuid
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

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
from messaging.actions import membership, send
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


class Command(BaseCommand):
    help = "Create (or reuse) the demo school with its people, classes, conversations and history."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="run even when DEBUG is off")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the address to print")

    def handle(self, *args: Any, force: bool = False, url: str = "http://127.0.0.1:8000",
               **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("refusing to load demo accounts with DEBUG off (use --force)")
        with transaction.atomic():
            users = self._people()
        conversations = self._conversations(users)
        self._history(users, conversations)
        # Each app seeds its own part of the demo school: <app>/demo.py defines seed(context).
        context = {"school": users["admin"].school, "users": users,
                   "conversations": conversations}
        for app in ("consent", "messaging", "archive"):
            try:
                module = importlib.import_module(f"{app}.demo")
            except ModuleNotFoundError:
                continue
            module.seed(context)
        self.stdout.write(self.style.SUCCESS(f"Demo school ready: {url}"))
        self.stdout.write(f"Logins (password for all: {PASSWORD}):")
        for username, label in [
            ("admin", "school admin"), ("teacher", "teacher of 4B"),
            ("parent", "parent of Emma Jansen, 4B"), ("parent5a", "parent of Mateo García, 5A"),
            ("dpo", "data-protection officer"),
        ]:
            self.stdout.write(f"  {username:<10} {label}")

    def _people(self) -> dict[str, User]:
        school, _ = School.objects.get_or_create(
            slug="demo", defaults={"name": "Demo Primary School", "require_staff_2fa": False}
        )
        users: dict[str, User] = {}
        for username, name, role in PEOPLE:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"display_name": name, "role": role, "school": school,
                          "email": f"{username}@demo.school.invalid"},
            )
            if created:
                user.set_password(PASSWORD)
                user.save(update_fields=["password"])
            users[username] = user
        classes = {
            name: SchoolClass.objects.get_or_create(school=school, name=name)[0]
            for name in ("4B", "5A")
        }
        StaffAssignment.objects.get_or_create(school_class=classes["4B"], user=users["teacher"])
        StaffAssignment.objects.get_or_create(school_class=classes["5A"], user=users["teacher5a"])
        # The head teacher is in every class group (class groups are derived from assignments).
        for school_class in classes.values():
            StaffAssignment.objects.get_or_create(school_class=school_class, user=users["head"])
        term_start = date(timezone.now().year, 9, 1)
        if term_start > timezone.now().date():
            term_start = term_start.replace(year=term_start.year - 1)
        for ref, first, last, class_name, guardians in PUPILS:
            pupil, _ = Pupil.objects.get_or_create(
                school=school, ref=ref,
                defaults={"first_name": first, "last_name": last,
                          "date_of_birth": date(term_start.year - 9, 3, 14)},
            )
            Enrolment.objects.get_or_create(
                pupil=pupil, school_class=classes[class_name], defaults={"starts_on": term_start}
            )
            for username in guardians:
                Guardianship.objects.get_or_create(
                    guardian=users[username], pupil=pupil, defaults={"relationship": "parent"}
                )
        return users

    def _conversations(self, users: dict[str, User]) -> dict[str, Conversation]:
        school = users["admin"].school
        assert school is not None
        spec = {
            "4B class group": (Conversation.Kind.CLASS, "4B",
                               ["teacher", "head", "parent", "parent2", "parent3", "parent4"]),
            "5A class group": (Conversation.Kind.CLASS, "5A",
                               ["teacher5a", "head", "parent5a", "parent5a2"]),
            "Staff room": (Conversation.Kind.GROUP, None, ["teacher", "teacher5a", "head", "admin"]),
            "School announcements": (
                Conversation.Kind.ANNOUNCEMENT, None,
                ["head", "teacher", "teacher5a", "parent", "parent2", "parent3", "parent4",
                 "parent5a", "parent5a2"],
            ),
        }
        conversations: dict[str, Conversation] = {}
        for title, (kind, class_name, members) in spec.items():
            school_class = (
                SchoolClass.objects.get(school=school, name=class_name) if class_name else None
            )
            conversation, _ = Conversation.objects.get_or_create(
                school=school, title=title, defaults={"kind": kind, "school_class": school_class}
            )
            for username in members:
                user = users[username]
                membership.add_member(conversation, user, actor=users["admin"],
                                   manager=user.role in (Role.TEACHER, Role.ADMIN))
            conversations[title] = conversation
        return conversations

    def _history(self, users: dict[str, User], conversations: dict[str, Conversation]) -> None:
        now = timezone.now()
        for title, lines in HISTORY.items():
            conversation = conversations[title]
            for index, (days_ago, username, text) in enumerate(lines):
                # A fixed client_id per line makes a second run a no-op (post_message is idempotent).
                client_id = uuid.uuid5(NAMESPACE, f"{title}/{index}")
                message, created = send.post_message(
                    users[username], conversation, text, client_id=client_id, limited=False
                )
                if created:
                    sent_at = now - timedelta(days=days_ago, minutes=(len(lines) - index) * 7)
                    Message.objects.filter(pk=message.pk).update(created_at=sent_at)
