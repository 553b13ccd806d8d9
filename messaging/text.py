"""A message's text: what it may be (:func:`clean_body`, asked by every action that stores
text) and how it is shown (:func:`render_body`: escaped first, then web links made clickable,
nothing else; where the policy says so, not even links)."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# Runs on escaped text, so "&amp;" and friends may occur inside a URL; "<", ">" and quotes
# cannot (they are entities now, and "&quot;"/"&lt;" end the match below).
_URL = re.compile(r"\bhttps?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}"


def _link(match: re.Match[str]) -> str:
    url = match.group(0)
    # An entity for a quote or angle bracket ends the link ("&lt;", "&gt;", "&quot;", "&#x27;").
    for entity in ("&lt;", "&gt;", "&quot;", "&#x27;"):
        if entity in url:
            url = url[: url.index(entity)]
    trail = ""
    while url and url[-1] in _TRAILING:
        trail = url[-1] + trail
        url = url[:-1]
    rest = match.group(0)[len(url) + len(trail):]
    if len(url) <= len("https://"):
        return match.group(0)
    return (f'<a href="{url}" rel="noopener noreferrer nofollow" target="_blank">{url}</a>'
            f"{trail}{rest}")


def render_body(text: str, *, links: bool = True) -> SafeString:
    """Escape the text, link http(s) URLs (unless ``links`` is False: shown as plain text,
    see ``Message.plain_links``) and keep line breaks."""
    html: str = escape(text)
    if links:
        html = _URL.sub(_link, html)
    return mark_safe(html.replace("\n", "<br>"))  # noqa: S308  (escaped above)


def clean_body(body: object) -> str:
    """The text to store: a string, stripped, not empty and within the length limit."""
    if not isinstance(body, str):
        raise ValidationError(_("A message must be text."), code="invalid")
    text = body.strip()
    if not text:
        raise ValidationError(_("A message cannot be empty."), code="empty")
    limit = settings.SCHOOLCHAT_MESSAGE_MAX_CHARS
    if len(text) > limit:
        raise ValidationError(
            _("This message is %(length)d characters long; the limit is %(limit)d.")
            % {"length": len(text), "limit": limit},
            code="too_long",
        )
    return text
