"""Office hours and quiet hours: when someone is told about new messages.

Staff read messages during their office hours (their own, or the school default Monday to
Friday 08:00-17:00). Outside them they get no notifications and no digest, unless a message is
marked urgent. A parent writing to a staff member outside those hours is told when it will be
read. Everyone else has quiet hours at night (21:00-07:00), when no digest is sent.
All times are in the school's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from messaging.models import Conversation, OfficeHours

# "Will read your message on <day> at <time>": a whole sentence per weekday (Monday first, as
# ``datetime.weekday``), so that each language can say the day as it must (Russian "во
# вторник", accusative). ``{name}`` and ``{time}`` are filled by the server and the chat page.
AWAY_ON_DAY = (
    _("{name} is outside office hours and will read your message on Monday at {time}."),
    _("{name} is outside office hours and will read your message on Tuesday at {time}."),
    _("{name} is outside office hours and will read your message on Wednesday at {time}."),
    _("{name} is outside office hours and will read your message on Thursday at {time}."),
    _("{name} is outside office hours and will read your message on Friday at {time}."),
    _("{name} is outside office hours and will read your message on Saturday at {time}."),
    _("{name} is outside office hours and will read your message on Sunday at {time}."),
)

DEFAULT_HOURS = {day: (time(8, 0), time(17, 0)) for day in range(5)}
QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(7, 0)


@dataclass(frozen=True)
class Schedule:
    """One person's weekly office hours in their school's time zone."""

    zone: ZoneInfo
    days: dict[int, tuple[time, time]]

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        span = self.days.get(local.weekday())
        return span is not None and span[0] <= local.time() < span[1]

    def next_opening(self, at: datetime) -> datetime | None:
        """When the hours next start after ``at`` (``at`` itself when open); None if never."""
        if self.is_open(at):
            return at
        local = at.astimezone(self.zone)
        for offset in range(8):
            day = (local + timedelta(days=offset)).date()
            span = self.days.get(day.weekday())
            if span is None:
                continue
            start = datetime.combine(day, span[0], tzinfo=self.zone)
            if start > local:
                return start
        return None


def _zone(user: User) -> ZoneInfo:
    name = getattr(getattr(user, "school", None), "time_zone", None) or settings.TIME_ZONE
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def schedule_for(user: User) -> Schedule:
    rows = OfficeHours.objects.filter(user=user).values_list("weekday", "starts", "ends")
    days = {weekday: (starts, ends) for weekday, starts, ends in rows} or dict(DEFAULT_HOURS)
    return Schedule(zone=_zone(user), days=days)


def is_quiet_for(user: User, at: datetime | None = None, *, urgent: bool = False,
                 schedule: Schedule | None = None) -> bool:
    """True when the user should not be notified now (urgent messages ignore office hours)."""
    moment = at or timezone.now()
    if user.is_school_staff:
        if urgent:
            return False
        return not (schedule or schedule_for(user)).is_open(moment)
    local = moment.astimezone(_zone(user)).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def staff_away(sender: User, conversation: Conversation, at: datetime | None = None) -> list[dict[str, Any]]:
    """For a parent writing in a one-to-one conversation: the staff members who are outside
    their office hours now, with when they will read it."""
    if sender.is_school_staff or conversation.kind != Conversation.Kind.DIRECT:
        return []
    moment = at or timezone.now()
    staff = User.objects.filter(
        memberships__conversation=conversation, memberships__ended_at__isnull=True,
        role__in=Role.school_staff(), is_active=True,
    ).select_related("school")
    away = []
    for person in staff:
        schedule = schedule_for(person)
        if schedule.is_open(moment):
            continue
        opening = schedule.next_opening(moment)
        away.append({"id": person.pk, "name": person.public_name,
                     "reads_from": opening.isoformat() if opening else None})
    return away
