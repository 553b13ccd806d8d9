"""Telling the open pages that an activity changed, after the commit. The hints carry no
content: the chat pages fetch the card again (``messaging.cards.changed``), the staff's list
pages fetch their list again (``{"type": "activity", "id": ...}`` on each manager's own
socket, ``activities/consumers.py``), each under the same rules as the page."""

from __future__ import annotations

from accounts.access import can
from accounts.models import Role, User
from activities.models import Activity
from messaging import cards
from messaging.models import Membership, Message
from messaging.publish import publish_user_on_commit

EVENT_TYPE = "activity"


def announcements(activity: Activity) -> list[Message]:
    """The messages that carry the activity's card, one per conversation it was announced in."""
    return list(Message.objects.filter(conversation__in=activity.conversations.all(),
                                       card=activity.card_ref).order_by("pk"))


def managers(activity: Activity) -> list[User]:
    """The staff who follow the activity's list: its creator and the staff who post in its
    conversations (``activity.manage``)."""
    members = Membership.objects.filter(conversation__in=activity.conversations.all(),
                                        ended_at__isnull=True).values("user_id")
    staff = User.objects.filter(pk__in=members, is_active=True, role__in=Role.school_staff())
    people = staff | User.objects.filter(pk=activity.created_by_id)
    return [u for u in people.distinct() if can(u, "activity.manage", activity)]


def changed(activity: Activity) -> None:
    """Inside the transaction of a change: every card and every staff list refreshes after it."""
    for message in announcements(activity):
        cards.changed(message)
    for person in managers(activity):
        publish_user_on_commit(person.pk, {"type": EVENT_TYPE, "id": activity.pk})
