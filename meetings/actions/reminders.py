"""Reminding families of tomorrow's meetings: each live booking once, the day before (in the
school's time zone), a push, else an e-mail, to each guardian who may see it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from accounts.models import School
from archive import chain, scopes
from meetings.models import Booking
from meetings.signals import families_to_tell

# Reminders go out from this hour of the day before (school time), never in the night: the
# hourly beat job's first run after it sends them.
REMIND_FROM_HOUR = 9


def due(school: School, now: datetime) -> list[int]:
    """The live bookings of ``school`` whose meeting is tomorrow and not yet reminded."""
    zone = ZoneInfo(school.time_zone)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, datetime.min.time(), zone)
    return list(Booking.objects.filter(
        round__school=school, cancelled_at__isnull=True, reminded_at__isnull=True,
        slot__starts_at__gte=start, slot__starts_at__lt=start + timedelta(days=1),
    ).order_by("pk").values_list("pk", flat=True))


def remind_tomorrow(school: School, now: datetime | None = None) -> int:
    """Mark tomorrow's bookings reminded (one record for all) and tell their families after
    the commit. Run again the same day, it finds nothing: each booking is reminded once."""
    moment = now or timezone.now()
    if moment.astimezone(ZoneInfo(school.time_zone)).hour < REMIND_FROM_HOUR:
        return 0
    with transaction.atomic():
        ids = list(Booking.objects.select_for_update(skip_locked=True)
                   .filter(pk__in=due(school, moment), reminded_at__isnull=True)
                   .values_list("pk", flat=True))
        if not ids:
            return 0
        Booking.objects.filter(pk__in=ids).update(reminded_at=moment)
        chain.record("meetings.reminded", scope=scopes.meetings(school.pk),
                     payload={"bookings": ids})
        transaction.on_commit(lambda: families_to_tell.send(sender=None, booking_ids=ids,
                                                            what="reminder"))
    return len(ids)
