"""Safeguarding in the demo school: a handful of reports and flags in different states.

Called by ``manage.py seed_demo`` after messaging (context {"school", "users",
"conversations"}). Idempotent: the messages have fixed client ids, a report is made once per
reporter and message, and a decision is taken only on what is still open.

After seeding, the lead (``lead``) finds in the queue:
- open: Mark's "loser" message in the 4B class group, flagged for bullying and reported by
  Anna; Sam's phone number in the 4B class group, flagged as personal data;
- dismissed: Lucía's report about a message in the 5A class group (nothing wrong);
- actioned: a message by Sam removed by the lead, with its flag.
"""

from __future__ import annotations

import uuid
from typing import Any

from accounts.models import User
from messaging.actions import send
from messaging.models import Conversation, Message
from safeguarding import actions
from safeguarding.models import Flag, Report, State

NAMESPACE = uuid.UUID("0b7a3f5e-5a1e-4c55-9d0e-5afe9a4d0000")


def _post(user: User, conversation: Conversation, key: str, body: str) -> Message:
    message, _created = send.post_message(user, conversation, body,
                                          client_id=uuid.uuid5(NAMESPACE, key), confirm=True,
                                          limited=False)
    return message


def _report(reporter: User, message: Message, reason: str, note: str) -> Report:
    found = Report.objects.filter(reporter=reporter, message=message).first()
    return found or actions.report_message(reporter, message, reason=reason, note=note)


def seed(context: dict[str, Any]) -> None:
    users, conversations = context["users"], context.get("conversations", {})
    lead = users.get("lead")
    class_4b, class_5a = conversations.get("4B class group"), conversations.get("5A class group")
    if lead is None or class_4b is None or class_5a is None:
        return
    actions.seed_school(context["school"])
    unkind = _post(users["parent2"], class_4b, "loser", "Sam, you are a loser for saying that.")
    _report(users["parent"], unkind, "bullying", "Said in front of the whole class group.")
    _post(users["parent4"], class_4b, "phone",
          "Kofi's new phone number is 06 1234 5678 if the children want to call him.")
    fine = Message.objects.filter(conversation=class_5a, body__startswith="Yes please").first()
    if fine is not None:
        report = _report(users["parent5a"], fine, "other", "Is this the right group?")
        if report.state == State.OPEN:
            actions.dismiss(lead, report, reason="Nothing wrong: the right group.")
    removed = _post(users["parent4"], class_4b, "worthless", "You are worthless, Mark.")
    flag = Flag.objects.filter(message=removed, state=State.OPEN).first()
    if flag is not None:
        actions.remove(lead, flag, reason="Name-calling in the class group.")
