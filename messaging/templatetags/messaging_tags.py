from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from messaging.text import render_body

register = template.Library()


@register.filter
def shown(attachment: Any) -> bool:
    """``messaging.attachments.is_shown``: may this attachment be shown to the page's reader."""
    from messaging.attachments import is_shown

    return is_shown(attachment)


@register.filter
def message_html(text: str) -> SafeString:
    return render_body(text or "")
