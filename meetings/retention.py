"""What retention purges of the meetings' rows (``Category.MEETINGS``): bookings older than the
school's policy (counted from the meeting's end). A round and its slots stay: they name
teachers and times, nobody's family.

Registered with the archive by ``MeetingsConfig.ready``; the archive chooses the batches, writes
the purge record and calls :meth:`BookingPurger.delete` in the same transaction. The archive's
records of the bookings stay (docs/archive.md); a legal hold on a pupil or a person keeps the
bookings that name them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Min, Q, QuerySet

from accounts.models import Guardianship, School
from archive.models import Category, Payload
from archive.retention import Expired, register_purger
from archive.scopes import meetings as meetings_scope
from meetings.models import Booking
from messaging.retention import holds_in_force


class BookingPurger:
    def expired(self, school: School, cutoff: datetime, attachment_cutoff: datetime | None,
                now: datetime) -> Expired:
        past = Booking.objects.filter(round__school=school, slot__ends_at__lt=cutoff)
        holds = holds_in_force(school, now)
        pupils = holds.filter(pupil__isnull=False).values("pupil_id")
        people = holds.filter(user__isnull=False).values("user_id")
        kept = Q(pupil_id__in=pupils) | Q(booked_by_id__in=people) | Q(
            pupil_id__in=Guardianship.objects.filter(guardian_id__in=people).values("pupil_id"))
        return Expired(free=past.exclude(kept).order_by("pk"), held=past.filter(kept))

    def first_due(self, free: QuerySet[Any]) -> datetime | None:
        first: datetime | None = free.aggregate(first=Min("slot__ends_at"))["first"]
        return first

    def attachments(self, free: QuerySet[Any]) -> int:
        return 0

    def delete(self, ids: list[int]) -> int:
        """The bookings only: a round's slots name teachers and times, nobody's family."""
        deleted, _by_model = Booking.objects.filter(pk__in=ids).delete()
        return deleted

    def records(self, ids: list[int]) -> list[int]:
        """The archive records about these bookings that still have a payload: they name a
        booking in their payload, not a message (``Record.message_id`` is a message's)."""
        return sorted(Payload.objects.filter(
            record__scope__startswith=meetings_scope(0).split(":")[0] + ":", content__booking__in=ids,
        ).values_list("record_id", flat=True))


def register() -> None:
    register_purger(Category.MEETINGS, BookingPurger())
