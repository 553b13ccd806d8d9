"""Activities in calendars: an ``.ics`` file per activity, and the activities of one person
between two dates, for the family calendar page that registers them later.

Neither says anything about a child's reply, a slip or an absence: only what the card says
to any reader of the conversation (what, when, where, what to bring, the cost).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from accounts.models import Pupil, User
from activities import roll
from activities.access import visible_activities
from activities.models import Activity

PRODID = "-//Schoolchat//Activities//EN"


def ics(activity: Activity, *, host: str) -> bytes:
    """One VEVENT in a VCALENDAR, its UID stable per activity and host."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(_event(activity, host))
    data: bytes = calendar.to_ical()
    return data


def _event(activity: Activity, host: str) -> CalendarEvent:
    event = CalendarEvent()
    event.add("uid", f"activity-{activity.pk}@{host}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", activity.starts_at)
    event.add("dtend", activity.ends_at)
    event.add("summary", activity.title)
    if activity.place:
        event.add("location", activity.place)
    details = [part for part in (activity.bring, activity.cost) if part]
    if details:
        event.add("description", "\n".join(details))
    return event


@dataclass(frozen=True)
class Entry:
    """One activity in a person's calendar, with the children of theirs it concerns (empty
    for staff)."""

    activity: Activity
    children: list[Pupil]


def between(person: User, start: date, end: date) -> list[Entry]:
    """The activities ``person`` may see that take place from ``start`` up to and including
    ``end`` (in the school's time), in order; for a guardian, each with their own children on
    it. The family calendar page (a later app) registers this as its source of activities."""
    zone = timezone.get_current_timezone()
    lower = timezone.make_aware(datetime.combine(start, time.min), zone)
    upper = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), zone)
    found = (visible_activities(person).filter(starts_at__lt=upper, ends_at__gt=lower)
             .order_by("starts_at", "pk"))
    return [Entry(a, roll.children_for(person, a)) for a in found]
