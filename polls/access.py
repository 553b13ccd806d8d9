"""Who may ask, answer, see and close a poll. Asked through ``accounts.access.can``.

- ``poll.create`` (a conversation): staff who may post in a class group or an announcement
  channel.
- ``poll.vote`` (a poll): the members who read its conversation, other than staff (the asker
  and their colleagues ask; families answer). Whether the poll is still open is the action's
  question, answered with a sentence.
- ``poll.results`` (a poll): the asker and the conversation's managers always; a member once
  they (or their family) voted, when the poll shows results after a vote, or once it closed,
  when it shows them after closing. Never anyone who cannot read the conversation.
- ``poll.close`` (a poll): the asker and the conversation's managers.

:func:`readable_polls` is the queryset twin of reading a poll at all (its conversation's
readers); :func:`readable_poll_or_none` answers None for missing and forbidden alike (404).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from accounts.access import can, rule
from accounts.models import Pupil, User
from messaging.access import concerned_pupils, readable_conversations
from messaging.models import Conversation
from polls.models import Ballot, Poll

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

# Where polls are asked: a class group and a school's announcement channels.
POLL_KINDS = frozenset({Conversation.Kind.CLASS, Conversation.Kind.ANNOUNCEMENT})


@rule("poll.create")
def _create(user: User, conversation: Any) -> bool:
    return (isinstance(conversation, Conversation) and user.is_school_staff
            and conversation.kind in POLL_KINDS and can(user, "conversation.post", conversation))


def _reads(user: User, poll: Poll) -> bool:
    return can(user, "conversation.read", poll.conversation)


def _manages(user: User, poll: Poll) -> bool:
    return poll.asker_id == user.pk or can(user, "conversation.manage_members", poll.conversation)


@rule("poll.vote")
def _vote(user: User, poll: Any) -> bool:
    return (isinstance(poll, Poll) and poll.asker_id != user.pk and not user.is_school_staff
            and _reads(user, poll))


@rule("poll.results")
def _results(user: User, poll: Any) -> bool:
    if not isinstance(poll, Poll) or not _reads(user, poll):
        return False
    if _manages(user, poll):
        return True
    if poll.results == Poll.Results.AFTER_CLOSE:
        return poll.is_closed()
    if poll.results == Poll.Results.AFTER_VOTE:
        return poll.is_closed() or own_ballot(user, poll) is not None
    return False


@rule("poll.close")
def _close(user: User, poll: Any) -> bool:
    return isinstance(poll, Poll) and _reads(user, poll) and _manages(user, poll)


def readable_polls(user: User | AnonymousUser) -> QuerySet[Poll]:
    """The polls whose conversation the user reads: the twin of seeing a poll at all."""
    return Poll.objects.filter(conversation__in=readable_conversations(user))


def readable_poll_or_none(user: User | AnonymousUser, poll_id: int) -> Poll | None:
    """The poll when the user may read its conversation; None when missing or forbidden."""
    poll = Poll.objects.select_related("conversation", "asker").filter(pk=poll_id).first()
    if poll is None or not can(user, "conversation.read", poll.conversation):
        return None
    return poll


def family_child(user: User, poll: Poll) -> Pupil | None:
    """The child whose family the user answers for in a per-family poll: the first (by id) of
    the conversation's pupils the user holds parental responsibility for; None for anyone
    without one there (who answers for themself)."""
    return (concerned_pupils(poll.conversation)
            .filter(guardianships__guardian=user, guardianships__parental_responsibility=True)
            .order_by("pk").first())


def ballot_key(user: User, poll: Poll) -> str:
    """Whose answer the user gives: their family's in a per-family poll, else their own."""
    if poll.per_family:
        child = family_child(user, poll)
        if child is not None:
            return f"family:{child.pk}"
    return f"user:{user.pk}"


def own_ballot(user: User, poll: Poll) -> Ballot | None:
    """The ballot the user (or their family) cast in ``poll``, if any."""
    return (Ballot.objects.filter(poll=poll, key=ballot_key(user, poll))
            .select_related("voter").prefetch_related("votes").first())
