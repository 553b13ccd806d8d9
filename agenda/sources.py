"""What goes on a person's calendar, registered by the apps that know it.

The agenda sits below the apps of a school's week (activities, meetings, absences), so it knows
them only through this registry: each registers a :data:`Source` from its ``AppConfig.ready``
that answers, for one person and a range of days, the :class:`Item` s that concern them (their
children's activities and slips, their bookings, their own children's absences). A source
decides what the person may see, as its pages do: the feed and the page show exactly that, so
no source may return another family's data or a health reason. Holidays are the agenda's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from accounts.models import User


@dataclass(frozen=True)
class Item:
    # Stable across feeds and days ("activity-12@<host>" is built by the feed from this).
    uid: str
    title: str
    starts: datetime | date
    # Exclusive for dates (the day after the last), or the end time; None: a moment.
    ends: datetime | date | None = None
    place: str = ""
    note: str = ""
    # What it is, in the reader's language ("Holiday", "Trip", "Parents' evening").
    kind: str = ""
    # A page of this site about it.
    url: str = ""

    @property
    def first_day(self) -> date:
        return self.starts.date() if isinstance(self.starts, datetime) else self.starts

    @property
    def timed(self) -> bool:
        return isinstance(self.starts, datetime)

    @property
    def last_day(self) -> date | None:
        """The last day of an item that spans whole days (``ends`` is the day after it)."""
        if self.ends is None or isinstance(self.ends, datetime):
            return None
        return self.ends - timedelta(days=1)


Source = Callable[[User, date, date], list[Item]]

_sources: dict[str, Source] = {}


def register_source(name: str, source: Source) -> None:
    """Add (or replace, by name) what an app puts on people's calendars."""
    _sources[name] = source


def items_for(user: User, first: date, last: date) -> list[Item]:
    """Everything on ``user``'s calendar from ``first`` to ``last`` (both included), in order."""
    found: list[Item] = []
    for source in _sources.values():
        found.extend(source(user, first, last))
    return sorted(found, key=lambda i: (i.first_day, i.starts.isoformat(), i.title, i.uid))
