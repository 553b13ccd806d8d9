"""``{% consent_nav %}`` and ``{% consent_banner %}``: the consent link and the pending-decisions
banner in the page frame (templates/base.html). They query only for a signed-in user."""

from __future__ import annotations

from typing import Any

from django import template

from consent.access import children_of, managed_classes
from consent.services import pending_for_guardian

register = template.Library()


def _user(context: Any) -> Any:
    request = context.get("request")
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


@register.inclusion_tag("consent/nav.html", takes_context=True)
def consent_nav(context: Any) -> dict[str, Any]:
    user = _user(context)
    show = user is not None and (children_of(user).exists() or managed_classes(user).exists())
    return {"show": show}


@register.inclusion_tag("consent/banner.html", takes_context=True)
def consent_banner(context: Any) -> dict[str, Any]:
    user = _user(context)
    return {"pending": len(pending_for_guardian(user)) if user is not None else 0}
