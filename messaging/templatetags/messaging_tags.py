from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from messaging.text import render_body

register = template.Library()


@register.filter
def message_html(text: str) -> SafeString:
    return render_body(text or "")
