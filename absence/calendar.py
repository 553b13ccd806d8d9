"""Absences on a person's calendar (agenda.sources): a family's own children's, a teacher's
classes'. Never a reason: the calendar and its feed leave every health reason out."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from django.utils.translation import gettext as _

from absence.queries import absences_between
from accounts.models import User
from agenda.sources import Item, register_source


def absences(user: User, first: date, last: date) -> list[Item]:
    items = []
    for absence in absences_between(user, first, last):
        key = f"{absence.pupil}|{absence.starts_on}|{absence.ends_on}|{absence.part_of_day}"
        items.append(Item(
            uid="absence-" + hashlib.sha256(key.encode()).hexdigest()[:16],
            title=_("%(pupil)s absent") % {"pupil": absence.pupil},
            starts=absence.starts_on, ends=absence.ends_on + timedelta(days=1),
            note=str(_("Part of the day")) if absence.part_of_day else "",
            kind=str(_("Absence"))))
    return items


def register() -> None:
    register_source("absences", absences)
