"""The sentences an absence action refuses with: one place, so the form, the page and the
tests say the same thing."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

NO_CHILD = _("Choose at least one child.")
NOT_YOURS = _("You can only report your own children absent.")
ENDS_BEFORE_START = _("The absence cannot end before it starts.")
IN_THE_PAST = _("The absence cannot start on a day that has passed.")
TOO_LONG = _("Report at most %(days)d days at a time.")
BOTH_TIMES = _("For part of a day, give the time it starts and the time it ends.")
ONE_DAY = _("Part of a day is one day: give the same day under from and until.")
TIMES_ORDER = _("The time it ends must be after the time it starts.")
NO_REASON = _("Choose a reason.")
NOTE_TOO_LONG = _("The note is too long (at most %(n)d characters).")
ALREADY_ACKNOWLEDGED = _("This absence was already acknowledged.")
NOT_REPORTED_YET = _("Nobody has reported this absence yet: wait for the family's answer.")
ALREADY_REPORTED = _("%(name)s is already reported absent today.")
ALREADY_MARKED = _("%(name)s is already marked absent today.")
NOT_STAFF_OF_CLASS = _("The class teacher of %(class)s must be on its staff.")
