"""``{% mute_control conversation %}``: the conversation page's mute control (mute for a while,
or "Unmute" while muted), so messaging's views and templates know nothing of notifications
beyond this one tag."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

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


@register.inclusion_tag("notifications/_frame_scripts.html", takes_context=True)
def frame_scripts(context: Any) -> dict[str, Any]:
    """The page frame's scripts for a signed-in person: the service worker (its URL carries the
    school's offline-copies policy) and the logout clean-up."""
    user = getattr(context.get("request"), "user", None)
    school = getattr(user, "school", None) if isinstance(user, User) else None
    offline = "1" if school is not None and school.offline_copies else "0"
    return {"worker_url": f"{reverse('service_worker')}?offline={offline}"}


@register.simple_tag(takes_context=True)
def muted_conversation_ids(context: Any) -> set[int]:
    """The conversations the page's reader has muted now, for the inbox's "Muted" mark (one
    query, whatever the number of conversations)."""
    user = getattr(context.get("request"), "user", None)
    if not isinstance(user, User):
        return set()
    return set(access.active_mutes_of(user).order_by().values_list("conversation_id", flat=True))
