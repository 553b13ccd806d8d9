"""Calendar items as an iCalendar file (RFC 5545), written with the icalendar library."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from icalendar import Calendar, Event

from agenda.sources import Item

PRODID = "-//Schoolchat//Calendar//EN"


def calendar(items: Iterable[Item], *, name: str, host: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    stamp = datetime.now(UTC)
    for item in items:
        event = Event()
        event.add("uid", f"{item.uid}@{host}")
        event.add("dtstamp", stamp)
        event.add("summary", item.title)
        event.add("dtstart", item.starts)
        if item.ends is not None:
            event.add("dtend", item.ends)
        if item.place:
            event.add("location", item.place)
        description = "\n".join(p for p in (item.kind, item.note) if p)
        if description:
            event.add("description", description)
        if item.url:
            event.add("url", f"https://{host}{item.url}")
        cal.add_component(event)
    ical: bytes = cal.to_ical()
    return ical
