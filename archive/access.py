"""Who may use the archive: the DPO reads it, the school admin sets retention.

Everyone else is denied (views turn that into 404). A DPO acts only on their own school.
"""

from __future__ import annotations

from typing import Any

from accounts.access import rule
from accounts.models import Role


def _school_of(obj: Any) -> Any:
    if obj is None:
        return None
    if hasattr(obj, "school_id"):
        return obj.school_id
    return getattr(obj, "pk", None)


def _same_school(user: Any, obj: Any) -> bool:
    return obj is None or _school_of(obj) == user.school_id


def _is_dpo(user: Any, obj: Any) -> bool:
    return user.role == Role.DPO and user.school_id is not None and _same_school(user, obj)


for _action in ("archive.search", "archive.export", "archive.hold", "archive.audit_log",
                "archive.integrity", "archive.retention_report"):
    rule(_action)(_is_dpo)


@rule("archive.retention_policy")
def _set_retention(user: Any, school: Any) -> bool:
    return user.role == Role.ADMIN and user.school_id is not None and _same_school(user, school)
