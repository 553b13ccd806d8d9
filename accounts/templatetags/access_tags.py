"""``{% nav_access as may %}``: which of the page frame's links (templates/base.html) the
signed-in user may follow, each answered by the rule of the page it leads to."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.access import can
from accounts.models import User

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_access(context: Any) -> dict[str, bool]:
    user = getattr(context.get("request"), "user", None)
    if not isinstance(user, User):
        return {}
    # The user stands for their own school: the rules read its id, so no query is made.
    return {
        "school_admin": can(user, "school.manage", user),
        "archive": can(user, "archive.integrity", user),
        "retention": can(user, "archive.retention_policy", user),
        "safeguarding": can(user, "safeguarding.review", user),
        "oversight": can(user, "safeguarding.oversight", user),
    }
