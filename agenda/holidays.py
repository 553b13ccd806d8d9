"""The school's holidays on everyone's calendar (the agenda's own source)."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils.translation import gettext as _

from accounts.models import User
from agenda.models import Holiday
from agenda.sources import Item, register_source


def holidays(user: User, first: date, last: date) -> list[Item]:
    if user.school_id is None:
        return []
    return [Item(uid=f"holiday-{h.pk}", title=h.name, starts=h.starts_on,
                 ends=h.ends_on + timedelta(days=1), kind=str(_("School holiday")))
            for h in Holiday.objects.filter(school_id=user.school_id, ends_on__gte=first,
                                            starts_on__lte=last)]


def register() -> None:
    register_source("holidays", holidays)
