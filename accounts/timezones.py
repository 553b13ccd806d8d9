"""The signed-in person's school's time zone on every page they open."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest
from django.utils import timezone
from django.utils.deprecation import MiddlewareMixin


def school_zone(name: str) -> ZoneInfo | None:
    """The zone a school names, or None for a name this machine does not know."""
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


class SchoolTimeZoneMiddleware(MiddlewareMixin):
    """After AuthenticationMiddleware: times on a page (templates' ``|date``, ``localtime``,
    ``localdate``, and a form's date and time fields) are those of the person's school
    (``School.time_zone``), wherever the server runs; someone signed out, or without a school,
    gets the installation's ``TIME_ZONE``. A school's clock is the one its people live by: the
    admin reading "sent 08:05" and the parent who read it at 08:05 mean the same moment."""

    def process_request(self, request: HttpRequest) -> None:
        user = getattr(request, "user", None)
        school = getattr(user, "school", None) if user is not None and \
            user.is_authenticated else None
        zone = school_zone(getattr(school, "time_zone", "")) if school is not None else None
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
