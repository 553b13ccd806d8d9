"""Who may read a calendar and who enters the school's holidays. Asked through
``accounts.access.can``.

- ``agenda.view`` (nothing): everyone of a school, for their own calendar and its feed.
- ``agenda.holidays`` (a school): that school's admin.
"""

from __future__ import annotations

from typing import Any

from accounts.access import rule
from accounts.models import School, User


@rule("agenda.view")
def _view(user: User, _obj: Any) -> bool:
    return user.school_id is not None


@rule("agenda.holidays")
def _holidays(user: User, school: Any) -> bool:
    return isinstance(school, School) and user.is_school_admin and user.school_id == school.pk
