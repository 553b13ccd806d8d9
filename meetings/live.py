"""Keeping open pages and cards current after a change to a round's slots or bookings.

Two hints, neither with content, both after the commit: every person who may see the round
gets ``{"type": "meetings_round", "round": id}`` on their own channel (an open round page
fetches its slot list again: ``static/meetings/round.js``), and each message announcing the
round has its card fetched again (``messaging.cards.changed``). What they fetch is rendered
by the server under the same rules as the page.
"""

from __future__ import annotations

from accounts.models import User
from meetings.access import OFFICE_ROLES
from meetings.models import MeetingRound
from meetings.queries import round_families
from messaging import cards
from messaging.models import Message
from messaging.publish import publish_user_on_commit

ROUND_EVENT = "meetings_round"
CARD_KIND = "meeting_round"


def announcements(round_: MeetingRound) -> list[Message]:
    """The messages that carry the round's card."""
    return list(Message.objects.filter(card=cards.ref(CARD_KIND, round_.pk))
                .select_related("conversation"))


def watchers(round_: MeetingRound) -> set[int]:
    """Everyone who may have the round open: its families, its teachers, its author, the
    office."""
    people = set(round_families(round_))
    people.update(round_.slots.values_list("teacher_id", flat=True).distinct())
    if round_.created_by_id:
        people.add(round_.created_by_id)
    people.update(User.objects.filter(school_id=round_.school_id, role__in=OFFICE_ROLES,
                                      is_active=True).values_list("pk", flat=True))
    return people


def round_changed(round_: MeetingRound) -> None:
    """After the commit: open pages refetch their slot list, cards refetch themselves."""
    event = {"type": ROUND_EVENT, "round": round_.pk}
    for user_id in sorted(watchers(round_)):
        publish_user_on_commit(user_id, event)
    for message in announcements(round_):
        cards.changed(message)
