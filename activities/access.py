"""Who may create, see, answer and follow an activity. Asked through ``accounts.access.can``.

- ``activity.create`` (a conversation): staff (``Role.school_staff``) who may post in a class
  group or a group; the activity is announced there.
- ``activity.view`` (an activity): whoever reads one of the conversations it is announced in.
  :func:`visible_activities` is the queryset twin. Anyone else gets 404.
- ``activity.reply`` (an activity): a reader with a child the activity concerns, holding
  parental responsibility and not marked no-contact; the action checks each child
  (:mod:`activities.roll`).
- ``activity.sign`` (an activity): the same, for an activity that asks a permission slip.
- ``activity.manage`` (an activity): its creator and the staff who post in one of its
  conversations: everyone's replies and slips, the live headcount, reminders, the trip list.
  Parents see their own children's replies only, never other families'.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.access import can, rule
from accounts.models import Guardianship, User
from activities.models import Activity
from activities.roll import children_for
from messaging.access import readable_conversations
from messaging.models import Conversation

ANNOUNCED_IN = (Conversation.Kind.CLASS, Conversation.Kind.GROUP)


@rule("activity.create")
def _create(user: User, conversation: Any) -> bool:
    return (isinstance(conversation, Conversation) and conversation.kind in ANNOUNCED_IN
            and user.is_school_staff and user.school_id == conversation.school_id
            and can(user, "conversation.post", conversation))


def announceable_conversations(user: User) -> list[Conversation]:
    """The conversations ``user`` may announce an activity in: the twin of ``activity.create``."""
    if not user.is_school_staff or user.school_id is None:
        return []
    found = readable_conversations(user).filter(kind__in=ANNOUNCED_IN,
                                               school_id=user.school_id)
    return [c for c in found.select_related("school_class").order_by("kind", "pk")
            if _create(user, c)]


@rule("activity.view")
def _view(user: User, activity: Any) -> bool:
    return isinstance(activity, Activity) and any(
        can(user, "conversation.read", c) for c in activity.conversations.all())


def visible_activities(user: User) -> QuerySet[Activity]:
    """The activities ``user`` may see: the twin of ``activity.view``."""
    return Activity.objects.filter(
        conversations__in=readable_conversations(user).values("pk")).distinct()


def _has_children(user: User, activity: Activity) -> bool:
    """A guardian who may answer for a child of the activity. Cheap first (a guardianship at
    all), then the activity's children."""
    mine = Guardianship.objects.filter(guardian=user, parental_responsibility=True,
                                       no_contact=False, pupil__school_id=activity.school_id)
    if not mine.exists():
        return False
    return bool(children_for(user, activity))


@rule("activity.reply")
def _reply(user: User, activity: Any) -> bool:
    return _view(user, activity) and _has_children(user, activity)


@rule("activity.sign")
def _sign(user: User, activity: Any) -> bool:
    return isinstance(activity, Activity) and activity.slip_id is not None and _reply(user, activity)


@rule("activity.manage")
def _manage(user: User, activity: Any) -> bool:
    if not isinstance(activity, Activity) or not user.is_school_staff:
        return False
    if user.school_id != activity.school_id:
        return False
    if activity.created_by_id == user.pk:
        return True
    return any(can(user, "conversation.post", c) for c in activity.conversations.all())
