"""``{% mute_control conversation %}``: the conversation page's mute control (mute for a while,
or "Unmute" while muted), so messaging's views and templates know nothing of notifications
beyond this one tag."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import User
from notifications import access
from notifications.forms import DurationForm

register = template.Library()


@register.inclusion_tag("notifications/_mute_control.html", takes_context=True)
def mute_control(context: Any, conversation: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or conversation is None:
        return {}
    return {
        "request": request,  # for the CSRF token
        "csrf_token": context.get("csrf_token"),
        "conversation": conversation,
        "mute": access.active_mutes_of(user).filter(conversation=conversation).first(),
        "form": DurationForm(auto_id="mute_%s"),
    }
