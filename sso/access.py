"""Who may set up the school's sign-on, and whose account a sign-on may open.

- ``sso.configure``: the admins of that very school (as ``school.manage``); everyone else is
  answered 404 by the page.
- :func:`may_sign_in_with_school_account`: only people who work for the school
  (``Role.school_staff()``) sign in through the school's provider; parents and pupils keep
  their passwords, since the school's provider knows nobody outside its staff.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.access import can, rule
from accounts.models import Role, School, User
from sso.models import SsoProvider


@rule("sso.configure")
def _configure(user: User, school: Any) -> bool:
    return isinstance(school, School) and can(user, "school.manage", school)


def configurable_providers(user: User) -> QuerySet[SsoProvider]:
    """The queryset twin of ``sso.configure``: the provider rows this user may change."""
    if not (user.is_active and user.role == Role.ADMIN and user.school_id is not None):
        return SsoProvider.objects.none()
    return SsoProvider.objects.filter(school_id=user.school_id)


def may_sign_in_with_school_account(user: User) -> bool:
    return user.role in Role.school_staff()
