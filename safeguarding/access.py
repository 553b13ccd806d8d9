"""Who may report, who works the safeguarding queue, and who oversees it.

- Any member reports a message they can read (not their own, while it is published) and any
  active person of their own school (not themselves).
- The school's safeguarding leads (:func:`messaging.access.is_lead_of`) review the queue, look
  at a conversation in context, remove, restrict, write case notes about pupils, and choose
  the school's screening settings (holding pupils' messages, the allowed web addresses) and
  its words and patterns.
- The school's DPO reads the record of what the leads did (``safeguarding.oversight``).

Everyone else is denied; the views answer 404, the queue's socket closes as for a page that is
not there.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.access import can, rule
from accounts.models import Pupil, Role, School, User
from messaging.access import is_lead_of
from messaging.models import Conversation, Message
from safeguarding.models import Flag, Report


def school_of(obj: Any) -> int | None:
    """The school an object belongs to (a school, a person, a pupil, a conversation, a
    message, a report or a flag), or None."""
    if isinstance(obj, School):
        return obj.pk
    if isinstance(obj, Message):
        return obj.conversation.school_id
    if isinstance(obj, User | Pupil | Conversation | Report | Flag):
        return obj.school_id
    return None


@rule("message.report")
def _report_message(user: User, message: Any) -> bool:
    """A reader of the conversation reports someone else's published message."""
    return (isinstance(message, Message) and message.sender_id != user.pk
            and message.held_at is None and message.removed_at is None
            and message.retracted_at is None
            and can(user, "conversation.read", message.conversation))


@rule("person.report")
def _report_person(user: User, person: Any) -> bool:
    """Anyone of a school reports another active person of the same school."""
    return (isinstance(person, User) and person.is_active and person.pk != user.pk
            and user.school_id is not None and person.school_id == user.school_id)


def _lead(user: User, obj: Any) -> bool:
    return is_lead_of(user, school_of(obj))


for _action in ("safeguarding.review", "safeguarding.view_conversation",
                "safeguarding.remove", "safeguarding.settings"):
    rule(_action)(_lead)


@rule("safeguarding.restrict")
def _restrict(user: User, person: Any) -> bool:
    """A lead restricts a person of their school from posting, never themselves."""
    return isinstance(person, User) and person.pk != user.pk and _lead(user, person)


@rule("safeguarding.case_note")
def _case_note(user: User, pupil: Any) -> bool:
    return isinstance(pupil, Pupil) and _lead(user, pupil)


@rule("safeguarding.oversight")
def _oversight(user: User, obj: Any) -> bool:
    """The school's DPO reads who looked at what and did what, when and why."""
    school = school_of(obj)
    return (user.role == Role.DPO and user.school_id is not None
            and (school is None or school == user.school_id))


def reportable_people(user: User) -> QuerySet[User]:
    """Who ``user`` may report: the queryset twin of ``person.report``."""
    if user.school_id is None:
        return User.objects.none()
    return User.objects.filter(school_id=user.school_id, is_active=True).exclude(pk=user.pk)


def held_when_matched(user: User, hold_pupil_messages: bool) -> bool:
    """Whether a message of ``user`` that matches a pattern waits for review: a pupil's, where
    the school holds pupils' messages."""
    return hold_pupil_messages and user.role == Role.PUPIL


def leads_of(school_id: int) -> QuerySet[User]:
    """The school's active safeguarding leads: who the queue's live updates go to."""
    return User.objects.filter(school_id=school_id, role=Role.SAFEGUARDING, is_active=True)
