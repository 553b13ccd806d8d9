"""Template helpers for the conversation page: the message text, and what the browser needs to
render a live message exactly as ``messaging/_message.html`` renders a loaded one."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from django import template
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.formats import get_format, number_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from messaging import cards, reactions
from messaging.attachments import duration_text, is_shown
from messaging.hours import AWAY_ON_DAY
from messaging.mentions import mentioned_in
from messaging.text import render_body

register = template.Library()

# The id of the prototype messages: the client puts the real id wherever this one appears in
# an attribute (URLs reversed by the server, element ids, labels' "for").
PROTOTYPE_ID = 2147483647


@register.filter
def shown(attachment: Any) -> bool:
    """``messaging.attachments.is_shown``: may this attachment be shown to the page's reader."""
    return is_shown(attachment)


@register.filter
def voice_duration(milliseconds: int | None) -> str:
    """A voice message's length, "0:42" (``messaging.attachments.duration_text``)."""
    return duration_text(milliseconds or 0)


@register.filter
def voice_seconds(seconds: int | None) -> str:
    """The school's longest voice message, "2:00"."""
    return duration_text((seconds or 0) * 1000)


@register.filter
def message_html(text: str, plain_links: bool = False) -> SafeString:
    """The message's text as HTML; ``plain_links``: its web addresses stay text."""
    return render_body(text or "", links=not plain_links)


@register.filter
def body_html(message: Any) -> SafeString:
    """A message's text as HTML: its links (unless ``plain_links``) and the people it
    mentions highlighted (prefetch ``mentions__user`` for a page of messages)."""
    return render_body(message.body or "", links=not message.plain_links,
                       mentions=[person["name"] for person in mentioned_in(message)])


@register.filter
def mentions_reader(message: Any, reader: Any) -> bool:
    """Whether ``message`` names the page's reader with "@" (and still shows its text)."""
    if message.retracted_at or getattr(message, "removed_at", None):
        return False
    return any(person["id"] == reader.pk for person in mentioned_in(message))


@register.filter
def day_label(when: datetime) -> str:
    """A day separator's words in the page's time zone and language: "Today", "Yesterday",
    else date:"D j M" ("Mon 7 Dec"); static/js/chat/format.js dayLabel writes the same."""
    day = timezone.localtime(when).date()
    today = timezone.localdate()
    if day == today:
        return _("Today")
    if day == today - timedelta(days=1):
        return _("Yesterday")
    return dateformat.format(day, "D j M")


class _Rows(list[Any]):
    """A list that answers ``.all()`` like the related manager the template expects."""

    def all(self) -> _Rows:
        return self


@register.simple_tag
def message_prototype(user: Any, variant: str) -> SimpleNamespace:
    """A stand-in message with every optional part present, for ``<template>`` prototypes.

    ``variant``: "mine" (sent by ``user``), "other" (sent by someone else) or "retracted".
    The client clones the rendered prototype, removes the parts a message lacks and fills in
    its text and attributes, so labels, wording and markup come from the one template. Texts
    with a name or number inside ("Seen by {n} of {m}", "Photo: {name}") keep the placeholder.
    """
    placeholder = SimpleNamespace(public_name="", pk=0)
    epoch = datetime(2000, 1, 3, tzinfo=UTC)
    attachments = _Rows([
        # ``_shown`` is what messaging.attachments.mark_shown notes on a page's attachments.
        SimpleNamespace(token="x", hidden_at=None, kind="image", name="{name}", size=0,
                        thumbnail=True, _shown=True),
        SimpleNamespace(token="x", hidden_at=None, kind="pdf", name="", size=0, thumbnail=False,
                        _shown=True),
        SimpleNamespace(token="x", hidden_at=epoch, kind="image", name="", size=0,
                        thumbnail=False, _shown=False),
        SimpleNamespace(token="x", hidden_at=None, kind="audio", name="", size=0,
                        thumbnail=False, duration_ms=0, _shown=True),
    ])
    return SimpleNamespace(
        pk=PROTOTYPE_ID, seq=0, client_id="", sender=placeholder,
        sender_id=user.pk if variant == "mine" else -1,
        created_at=epoch, retracted_at=epoch if variant == "retracted" else None,
        urgent=True, reply_to_id=PROTOTYPE_ID,
        reply_to=SimpleNamespace(sender=placeholder, retracted_at=None, body=""),
        body="x", attachments=attachments, edited_at=epoch, seen_count="{n}",
        ack_requested=True, pinned_at=None, editable_ids={PROTOTYPE_ID},
        # Sensitive, with the control to mark it so still present: the client removes either.
        sensitive="x", sensitive_label="{category}", plain_links=False, markable=True,
        card="x:0",
        # Every emoji's chip, none the reader's: the client keeps those a message has.
        my_reaction="",
        reaction_chips=[reactions.Chip(c.emoji, c.label, "{n}") for c in reactions.choices()],
        # Another's message names the reader: the "Mentions you" note, removed by the client
        # when a message does not.
        mentions=_Rows([SimpleNamespace(pk=0, user=SimpleNamespace(pk=user.pk, public_name=""))]
                       if variant == "other" else []),
    )


@register.simple_tag(takes_context=True)
def message_card(context: template.Context, message: Any) -> SafeString:
    """The message's live card for the page's reader (messaging.cards), in the element the page
    fetches again when the card changes; the prototype's is empty (the client fetches it)."""
    url = reverse("messaging:card", args=[context["conversation"].pk, message.pk])
    if message.pk == PROTOTYPE_ID:
        return cards.frame("", url, "")
    return cards.wrapped(message, context["request"], url)


@register.simple_tag
def chat_formats() -> dict[str, str]:
    """How the server writes times and file sizes on this page, for the client to write a
    live message's the same way whatever the browser's own language (``date:"D H:i"`` in the
    current time zone, and ``filesizeformat``)."""
    # Django's own filesizeformat, with the number taken out again: its words and separators.
    def plural(n: int) -> str:
        return str(filesizeformat(n)).replace("\xa0", " ").replace(str(n), "%(size)d", 1)

    def unit(power: int) -> str:
        sample = str(filesizeformat(int(1.5 * (1 << (10 * power)))))
        return sample.replace("\xa0", " ").replace(number_format(1.5, 1), "%s", 1)

    return {
        "time_zone": timezone.get_current_timezone_name(),
        "weekdays": json.dumps([str(WEEKDAYS_ABBR[i]) for i in range(7)]),
        "weekdays_long": json.dumps([str(WEEKDAYS[i]) for i in range(7)]),
        # The office-hours notice, one sentence per weekday (messaging.hours.AWAY_ON_DAY).
        "away_on_day": json.dumps([str(text) for text in AWAY_ON_DAY]),
        "decimal_separator": str(get_format("DECIMAL_SEPARATOR")),
        # Keyed by the browser's plural category (Intl.PluralRules) of the page's language.
        "bytes": json.dumps({"one": plural(1), "few": plural(2), "many": plural(5),
                             "other": plural(0)}),
        "units": json.dumps([unit(p) for p in range(1, 6)]),
        # date:"M" of each month, for the day separators' "Mon 7 Dec".
        "months": json.dumps([dateformat.format(date(2000, m, 1), "M") for m in range(1, 13)]),
    }
