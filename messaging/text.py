"""A message's text: what it may be (:func:`clean_body`, asked by every action that stores
text) and how it is shown (:func:`render_body`: escaped first, then web links made clickable
and the people it mentions highlighted, nothing else; where the policy says so, not even
links)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from messaging.mentions import pattern

# Runs on escaped text, so "&amp;" and friends may occur inside a URL; "<", ">" and quotes
# cannot (they are entities now, and "&quot;"/"&lt;" end the match below).
_URL = re.compile(r"\bhttps?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}"


def _link_of(found: str) -> str | None:
    """The link a URL match of the escaped text makes (what follows it stays text), or None
    when what is left is no link ("https://" alone)."""
    url = found
    # An entity for a quote or angle bracket ends the link ("&lt;", "&gt;", "&quot;", "&#x27;").
    for entity in ("&lt;", "&gt;", "&quot;", "&#x27;"):
        if entity in url:
            url = url[: url.index(entity)]
    while url and url[-1] in _TRAILING:
        url = url[:-1]
    if len(url) <= len("https://"):
        return None
    return url


def _mark(html: str, mentions: re.Pattern[str] | None) -> str:
    """Escaped text with each mention ("@Anna Jansen", the name escaped as the text is) in a
    highlighted span."""
    if mentions is None:
        return html
    return mentions.sub(lambda m: f'<span class="mention">{m.group(0)}</span>', html)


def render_body(text: str, *, links: bool = True, mentions: Iterable[str] = ()) -> SafeString:
    """Escape the text, link http(s) URLs (unless ``links`` is False: shown as plain text,
    see ``Message.plain_links``), highlight "@name" for each of the ``mentions`` (the display
    names of the people the message mentions; never inside a link) and keep line breaks."""
    html: str = escape(text)
    names = pattern(escape(name) for name in mentions)
    pieces: list[str] = []
    last = 0
    if links:
        for match in _URL.finditer(html):
            url = _link_of(match.group(0))
            if url is None:
                continue
            pieces.append(_mark(html[last:match.start()], names))
            pieces.append(f'<a href="{url}" rel="noopener noreferrer nofollow" '
                          f'target="_blank">{url}</a>')
            last = match.start() + len(url)
    pieces.append(_mark(html[last:], names))
    return mark_safe("".join(pieces).replace("\n", "<br>"))  # noqa: S308  (escaped above)


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
