"""Messaging in the demo school: what the history in seed_demo does not show by itself.

Called by ``manage.py seed_demo`` with context {"school", "users", "conversations"}.
Idempotent: every message has a fixed ``client_id`` (a second post returns the first), the
one-to-one conversation is found by its pair, office hours are replaced by the same hours.

After seeding:
- School announcements: the head asks everyone to acknowledge the sports-day notice; Anna
  (parent) has acknowledged it, the others have not.
- 4B class group: Ms de Vries answers a question with a reply (quoted).
- A one-to-one conversation between Anna and Ms de Vries.
- Ms de Vries reads messages Monday to Thursday 08:00-16:00.
"""

from __future__ import annotations

import uuid
from datetime import time
from typing import Any

from django.db import transaction

from accounts.models import User
from messaging.actions import direct as direct_actions
from messaging.actions import hours as hours_actions
from messaging.actions import receipts, send
from messaging.models import Conversation, Message

NAMESPACE = uuid.UUID("6f1d4c2e-8f0b-4b7e-9a55-3c1d2e4f5a60")


def _post(user: User, conversation: Conversation, key: str, body: str, **options: Any) -> Message:
    message, _created = send.post_message(
        user, conversation, body, client_id=uuid.uuid5(NAMESPACE, key), confirm=True,
        limited=False, **options)
    return message


def seed(context: dict[str, Any]) -> None:
    users = context["users"]
    conversations = context["conversations"]
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
        hours_actions.set_office_hours(teacher, {day: (time(8), time(16)) for day in range(4)})
