"""The admin enters and removes the school's holidays."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import School, User
from agenda.models import NAME_MAX_CHARS, Holiday
from archive import chain, scopes

# A holiday longer than this is a mistake in a date (the summer holiday is about ten weeks).
LONGEST = timedelta(days=120)


def add_holiday(user: User, school: School, *, name: str, starts_on: date,
                ends_on: date) -> Holiday:
    if not can(user, "agenda.holidays", school):
        raise PermissionDenied(_("Only the school's admin enters holidays."))
    text = " ".join(name.split())
    if not text:
        raise ValidationError(_("Give the holiday a name."), code="required")
    if len(text) > NAME_MAX_CHARS:
        raise ValidationError(_("The name is too long (at most %(n)d characters).")
                              % {"n": NAME_MAX_CHARS}, code="too_long")
    if ends_on < starts_on:
        raise ValidationError(_("The last day is before the first day."), code="order")
    if ends_on - starts_on > LONGEST:
        raise ValidationError(_("A holiday can last at most %(n)d days.")
                              % {"n": LONGEST.days}, code="too_long")
    with transaction.atomic():
        holiday = Holiday.objects.create(school=school, name=text, starts_on=starts_on,
                                         ends_on=ends_on)
        chain.record("agenda.holiday_added", scope=scopes.school(school.pk), actor=user,
                     payload={"holiday": holiday.pk, "name": text,
                              "starts_on": starts_on.isoformat(),
                              "ends_on": ends_on.isoformat()})
    return holiday


def remove_holiday(user: User, holiday: Holiday) -> None:
    if not can(user, "agenda.holidays", holiday.school):
        raise PermissionDenied(_("Only the school's admin enters holidays."))
    with transaction.atomic():
        chain.record("agenda.holiday_removed", scope=scopes.school(holiday.school_id), actor=user,
                     payload={"holiday": holiday.pk, "name": holiday.name,
                              "starts_on": holiday.starts_on.isoformat(),
                              "ends_on": holiday.ends_on.isoformat()})
        holiday.delete()
