"""Who manages a school's API tokens, and whom a token may act as.

A token's calls are decided by the ordinary rules (``accounts.access.can``) asked of the staff
member the token acts as; what is decided here is the token page and the choice of that person.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.access import can, rule
from accounts.models import CLASS_STAFF_ROLES, School, User
from api.models import ApiToken


@rule("api_token.manage")
def _manage_tokens(user: User, school: Any) -> bool:
    """Making, reading and revoking a school's tokens: that school's admins, as for the rest
    of the school's settings (``school.manage``)."""
    return isinstance(school, School) and can(user, "school.manage", school)


def school_tokens(user: User, school: School) -> QuerySet[ApiToken]:
    """The queryset twin of ``api_token.manage``: the school's tokens, for its admins only."""
    if not can(user, "api_token.manage", school):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(school=school)


def may_act_for_api(person: User, school: School) -> bool:
    """Whom a token may act as: an active account of the school whose role works for classes
    (an admin, a teacher, office staff). Never a parent or pupil, and never the DPO or the
    safeguarding lead, whose reach over everyone's records is not for a machine."""
    return (person.is_active and person.left_at is None and person.school_id == school.pk
            and person.role in CLASS_STAFF_ROLES)


def api_actors(school: School) -> QuerySet[User]:
    """The queryset twin of :func:`may_act_for_api`: the choice on the token page."""
    return (User.objects.filter(school=school, is_active=True, left_at__isnull=True,
                                role__in=CLASS_STAFF_ROLES)
            .order_by("display_name", "username"))
