"""Messaging in the demo school: the class groups, the school's other groups, a few days of
history, and what that history does not show by itself.

Called by ``manage.py seed_demo`` with context {"school", "users"} (from
:func:`accounts.demo.seed`); adds "conversations" (title -> conversation) for the apps seeded
after it. Idempotent: every message has a fixed ``client_id`` (a second post returns the
first), groups are found by title and their members added once, the one-to-one conversation is
found by its pair, office hours are replaced by the same hours. One write here is for the demo
only and named so: the history is back-dated over the last days (:func:`backdate_message`).

After seeding:
- School announcements: the head asks everyone to acknowledge the sports-day notice; Anna
  (parent) has acknowledged it, the others have not.
- 4B class group: Ms de Vries answers a question with a reply (quoted).
- A one-to-one conversation between Anna and Ms de Vries.
- Ms de Vries reads messages Monday to Thursday 08:00-16:00.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.demo import CLASSES
from accounts.models import Role, School, SchoolClass, User
from messaging.actions import direct as direct_actions
from messaging.actions import hours as hours_actions
from messaging.actions import receipts, send
from messaging.actions.classes import class_conversation
from messaging.actions.groups import add_group_member, create_group
from messaging.models import Conversation, Message

NAMESPACE = uuid.UUID("6f1d4c2e-8f0b-4b7e-9a55-3c1d2e4f5a60")
# The history's client ids: fixed, so a second run posts no line twice.
HISTORY_NAMESPACE = uuid.UUID("5c1e0c4a-0000-4000-8000-00000000d3e0")

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

GROUPS: dict[str, tuple[bool, list[str]]] = {
    # title -> (announcements, members)
    "Staff room": (False, ["teacher", "teacher5a", "head", "admin"]),
    "School announcements": (
        True, ["head", "teacher", "teacher5a", "parent", "parent2", "parent3", "parent4",
               "parent5a", "parent5a2"],
    ),
}


def backdate_message(message: Message, sent_at: datetime) -> None:
    """Demo only: a history message appears sent on an earlier day."""
    Message.objects.filter(pk=message.pk).update(created_at=sent_at)


def seed_conversations(school: School, users: dict[str, User]) -> dict[str, Conversation]:
    """The class groups (their members follow the roster) and the school's other groups."""
    # Keyed as HISTORY names them; a class group's shown name is made in the reader's language.
    conversations = {
        f"{c.name} class group": class_conversation(c)
        for c in SchoolClass.objects.filter(school=school, name__in=CLASSES)
    }
    for title, (announcements, members) in GROUPS.items():
        group = Conversation.objects.filter(school=school, title=title).first()
        if group is None:
            group = create_group(school, title, announcements=announcements,
                                 actor=users["admin"])
        for username in members:
            user = users[username]
            # The seed stands for the operator setting the school up (as create_school does):
            # the demo admin joins the staff room without adding themself.
            add_group_member(group, user, actor=None,
                             manager=user.role in (Role.TEACHER, Role.ADMIN))
        conversations[title] = group
    return conversations


def seed_history(users: dict[str, User], conversations: dict[str, Conversation]) -> None:
    now = timezone.now()
    for title, lines in HISTORY.items():
        conversation = conversations[title]
        for index, (days_ago, username, text) in enumerate(lines):
            # A fixed client_id per line makes a second run a no-op (post_message is idempotent).
            client_id = uuid.uuid5(HISTORY_NAMESPACE, f"{title}/{index}")
            message, created = send.post_message(
                users[username], conversation, text, client_id=client_id, limited=False
            )
            if created:
                backdate_message(message, now - timedelta(days=days_ago,
                                                          minutes=(len(lines) - index) * 7))



def _post(user: User, conversation: Conversation, key: str, body: str, **options: Any) -> Message:
    message, _created = send.post_message(
        user, conversation, body, client_id=uuid.uuid5(NAMESPACE, key), confirm=True,
        limited=False, **options)
    return message


def seed(context: dict[str, Any]) -> None:
    users = context["users"]
    conversations = seed_conversations(context["school"], users)
    seed_history(users, conversations)
    context["conversations"] = conversations
    head, teacher, parent = users.get("head"), users.get("teacher"), users.get("parent")
    if head is None or teacher is None or parent is None:
        return
    with transaction.atomic():
        announcements = conversations.get("School announcements")
        if announcements is not None:
            notice = _post(head, announcements, "sports-day",
                           "Sports day is on Friday 12 June. Please acknowledge that you have "
                           "read this. Details: https://example.org/sports-day",
                           ack_requested=True)
            receipts.acknowledge(parent, notice)
        class_group = conversations.get("4B class group")
        if class_group is not None:
            question = _post(parent, class_group, "swim-question",
                             "Does anyone know if swimming goes ahead next week?")
            _post(teacher, class_group, "swim-answer",
                  "Yes, swimming is on as usual. Bring a towel!", reply_to=question)
        direct = direct_actions.open_direct(parent, teacher)
        _post(parent, direct, "direct-hello",
              "Hello Ms de Vries, could we talk briefly about Emma's reading?")
        _post(teacher, direct, "direct-answer",
              "Of course. Thursday after school works for me.")
        # Health: behind a tap on the page, never in a push, digest or preview.
        _post(teacher, direct, "direct-sensitive",
              "The school nurse has Emma's new inhaler plan; it is in her bag from Monday.",
              sensitive="health")
        hours_actions.set_office_hours(teacher, {day: (time(8), time(16)) for day in range(4)})
