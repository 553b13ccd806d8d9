"""``{% welcome_nav %}``: the link back to a parent's welcome page in the page frame
(templates/base.html), for someone with children at the school. One query, signed-in only."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import Guardianship

register = template.Library()


@register.inclusion_tag("messaging/welcome_nav.html", takes_context=True)
def welcome_nav(context: Any) -> dict[str, Any]:
    user = getattr(context.get("request"), "user", None)
    show = (user is not None and user.is_authenticated
            and Guardianship.objects.filter(guardian=user.pk, no_contact=False).exists())
    return {"show": show}
