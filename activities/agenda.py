"""Activities and trips on each person's calendar (agenda.sources), and the absence check of
the trip list: both read from the apps below, registered from ``ready``."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from absence.queries import absent_pupils
from accounts.models import User
from activities import calendar
from activities.absent import register_absent_check
from agenda.sources import Item, register_source


def activities(user: User, first: date, last: date) -> list[Item]:
    items = []
    for entry in calendar.between(user, first, last):
        activity = entry.activity
        children = ", ".join(p.first_name for p in entry.children)
        items.append(Item(
            uid=f"activity-{activity.pk}", title=activity.title, starts=activity.starts_at,
            ends=activity.ends_at, place=activity.place, note=children,
            kind=str(activity.get_kind_display()),
            url=reverse("activities:detail", args=[activity.pk])))
    return items


def register() -> None:
    register_source("activities", activities)
    # The trip list leaves off the children reported absent that day.
    register_absent_check(absent_pupils)
