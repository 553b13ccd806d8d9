"""What the polls' archive records read as on the audit pages and in exports
(``records.lines.register_sentences``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from records import lines


def _created(c: Mapping[str, Any], n: lines.Names) -> str:
    return _("Asked the poll “%(question)s” in %(conversation)s.") % {
        "question": c.get("question", ""), "conversation": n.conversation(c.get("conversation"))}


def _voted(c: Mapping[str, Any], n: lines.Names) -> str:
    if "options" in c:
        return _("Answered the poll “%(question)s”: %(options)s.") % {
            "question": c.get("question", ""), "options": ", ".join(map(str, c["options"]))}
    return _("Answered the anonymous poll “%(question)s”.") % {"question": c.get("question", "")}


def _closed(c: Mapping[str, Any], n: lines.Names) -> str:
    counts = c.get("counts") or {}
    said = ", ".join(f"{option}: {count}" for option, count in counts.items())
    return _("The poll “%(question)s” closed (%(counts)s).") % {
        "question": c.get("question", ""), "counts": said}


def register() -> None:
    lines.register_sentences({"poll.created": _created, "poll.voted": _voted,
                              "poll.closed": _closed})
