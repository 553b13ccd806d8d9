"""The archive's part of the demo school: the default retention policies and a first seal.

Idempotent: policies are created once, and a seal is appended only when some chain has grown
since the last seal.
"""

from __future__ import annotations

from typing import Any

from archive import chain, scopes
from archive.models import DEFAULT_RETENTION_DAYS, Record, RetentionPolicy


def seed(context: dict[str, Any]) -> None:
    school = context["school"]
    for category, days in DEFAULT_RETENTION_DAYS.items():
        RetentionPolicy.objects.get_or_create(school=school, category=category,
                                              defaults={"days": days})
    last = Record.objects.filter(scope=scopes.SEAL).order_by("-position").first()
    if last is None or last.payload.content.get("heads") != chain.heads():
        chain.seal()
