"""Who may use the archive: the DPO reads it, the school admin sets retention.

Everyone else is denied (views turn that into 404). A DPO acts only on their own school.
"""

from __future__ import annotations

from typing import Any

from accounts.access import Action, rule
from accounts.models import Role, User


def _school_of(obj: Any) -> Any:
    if obj is None:
        return None
    if hasattr(obj, "school_id"):
        return obj.school_id
    return getattr(obj, "pk", None)


def _same_school(user: User, obj: Any) -> bool:
    return obj is None or _school_of(obj) == user.school_id


def _is_dpo(user: User, obj: Any) -> bool:
    return user.role == Role.DPO and user.school_id is not None and _same_school(user, obj)


DPO_ACTIONS: tuple[Action, ...] = ("archive.search", "archive.export", "archive.hold",
                                   "archive.audit_log", "archive.integrity",
                                   "archive.retention_report", "archive.erase",
                                   "archive.paperwork", "archive.release")
for _action in DPO_ACTIONS:
    rule(_action)(_is_dpo)


@rule("archive.retention_policy")
def _set_retention(user: User, school: Any) -> bool:
    return user.role == Role.ADMIN and user.school_id is not None and _same_school(user, school)


@rule("archive.review_export")
def _review_export(user: User, pupil: Any) -> bool:
    """Reviewing what was written about a pupil before their export is released: the DPO of
    the pupil's school only (a pupil record, never a school or nothing)."""
    return pupil is not None and hasattr(pupil, "school_id") and _is_dpo(user, pupil)
