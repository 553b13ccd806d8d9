"""``{% absence_entry %}`` (the home screen's "Report an absence", for a guardian who may
report) and ``{% absence_nav %}`` (the frame's link to the day's absences, for staff who have
the list)."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Exists, OuterRef

from absence.access import reportable_children
from absence.models import AbsenceReport
from accounts.access import can
from accounts.models import User

register = template.Library()


def _user(context: Any) -> User | None:
    user = getattr(context.get("request"), "user", None)
    return user if isinstance(user, User) else None


@register.inclusion_tag("absence/entry.html", takes_context=True)
def absence_entry(context: Any) -> dict[str, Any]:
    user = _user(context)
    if user is None or user.is_school_staff:
        return {"show": False, "open": 0}
    # One query: the children, each with whether the school asks about them.
    asked = Exists(AbsenceReport.objects.filter(pupil=OuterRef("pk"), marked_at__isnull=False,
                                                reported_at__isnull=True))
    children = list(reportable_children(user).annotate(asked=asked).values_list("asked",
                                                                                flat=True))
    return {"show": bool(children), "open": sum(1 for a in children if a)}


@register.inclusion_tag("absence/nav.html", takes_context=True)
def absence_nav(context: Any) -> dict[str, Any]:
    user = _user(context)
    return {"show": user is not None and user.school_id is not None
            and can(user, "absence.list", user)}
