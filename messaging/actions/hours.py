"""Staff office hours: the weekly hours in which a staff member reads messages."""

from __future__ import annotations

from datetime import time

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import User
from messaging.models import OfficeHours


def set_office_hours(user: User, days: dict[int, tuple[time, time]]) -> None:
    """Replace a staff member's weekly office hours (weekday -> (starts, ends))."""
    if not can(user, "office_hours.set"):
        raise PermissionDenied(_("Only staff have office hours."))
    with transaction.atomic():
        OfficeHours.objects.filter(user=user).delete()
        OfficeHours.objects.bulk_create(
            OfficeHours(user=user, weekday=day, starts=span[0], ends=span[1])
            for day, span in sorted(days.items())
        )
