"""A family's and a teacher's parents' evening meetings on their calendar (agenda.sources)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from agenda.sources import Item, register_source
from meetings.queries import between


def meetings(user: User, first: date, last: date) -> list[Item]:
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(first, time.min), zone)
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min), zone)
    return [Item(uid=i.uid, title=i.title, starts=i.starts_at, ends=i.ends_at, place=i.place,
                 kind=str(_("Parents' evening")), url=i.url) for i in between(user, start, end)]


def register() -> None:
    register_source("meetings", meetings)
