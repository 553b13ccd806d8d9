"""The activities' link in the page header: for whoever has an activity coming up."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from accounts.models import User
from activities.access import visible_activities

register = template.Library()


@register.inclusion_tag("activities/nav.html", takes_context=True)
def activities_nav(context: Any) -> dict[str, Any]:
    user = context.get("user")
    show = (isinstance(user, User) and user.is_active
            and visible_activities(user).filter(ends_at__gte=timezone.now()).exists())
    return {"show": show}
