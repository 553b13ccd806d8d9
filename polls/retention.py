"""What retention purges of the polls' rows (``archive.retention.Purger``, category ``polls``).

A poll expires when its policy's days have passed since it closed (or was to close). It goes
whole: options, ballots and votes, and the payloads of its archive records (``poll.*`` kinds
carry the poll's id, ``archive.chain.register_row_key``), under one purge record. A legal hold
on its conversation, on the asker or on a held pupil's class keeps it. The announcing message
is the chat's: it goes under the chat's own policy, and its card then shows nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from accounts.models import School
from archive.models import Category
from archive.retention import Expired, register_purger
from messaging.retention import held_conversation_ids
from polls.models import Ballot, Poll, PollOption, Vote

RECORD_PREFIX = "poll."


class PollPurger:
    record_prefix = RECORD_PREFIX

    def expired(self, school: School, cutoff: datetime, attachment_cutoff: datetime | None,
                now: datetime) -> Expired:
        held = held_conversation_ids(school, now)
        due = Poll.objects.filter(school=school, closes_at__lt=cutoff)
        return Expired(free=due.exclude(conversation_id__in=held).order_by("pk"),
                       held=due.filter(conversation_id__in=held))

    def first_due(self, free: QuerySet[Any]) -> datetime | None:
        return free.order_by("closes_at").values_list("closes_at", flat=True).first()

    def attachments(self, free: QuerySet[Any]) -> int:
        return 0

    def delete(self, ids: list[int]) -> int:
        Vote.objects.filter(ballot__poll_id__in=ids).delete()
        Ballot.objects.filter(poll_id__in=ids).delete()
        PollOption.objects.filter(poll_id__in=ids).delete()
        deleted, _by_model = Poll.objects.filter(pk__in=ids).delete()
        return deleted


def register() -> None:
    register_purger(Category.POLLS, PollPurger())
