"""iCalendar files (RFC 5545) of meetings, written with the ``icalendar`` library: one booking's
file, and a teacher's private feed. A family's file names the teacher; a teacher's names the
child by first name only; neither names anyone else."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone
from icalendar import Calendar, Event

from meetings.queries import CalendarItem

CONTENT_TYPE = "text/calendar; charset=utf-8"
PRODID = "-//Schoolchat//Parents' evenings//EN"


def ics(items: Sequence[CalendarItem], *, name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = timezone.now()
    for item in items:
        event = Event()
        event.add("uid", f"{item.uid}@schoolchat")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.starts_at)
        event.add("dtend", item.ends_at)
        event.add("summary", item.title)
        if item.place:
            event.add("location", item.place)
        if item.url:
            event.add("url", item.url)
            event.add("description", item.url)
        calendar.add_component(event)
    return bytes(calendar.to_ical())
