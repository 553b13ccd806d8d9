"""What the lead's queue and the DPO's oversight page read (no writes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, overload

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, School
from archive import scopes
from archive.models import Record
from messaging.models import Conversation, Restriction
from safeguarding.models import Flag, Pattern, Report, State

# The queue shows this many open items, newest first; the rest wait their turn.
QUEUE_LIMIT = 200

KIND_LABELS = {
    "safeguarding.reported": _("Report made"),
    "safeguarding.flagged": _("Message flagged"),
    "safeguarding.dismissed": _("Dismissed"),
    "safeguarding.removed": _("Message removed"),
    "safeguarding.restricted": _("Member restricted"),
    "safeguarding.lifted": _("Restriction lifted"),
    "safeguarding.released": _("Held message published"),
    "safeguarding.rejected": _("Held message not published"),
    "safeguarding.looked": _("Looked at a conversation"),
    "conversation.lead_read": _("Read a conversation visible to the leads"),
    "safeguarding.case_note": _("Case note written"),
    "safeguarding.dpo_notified": _("Brought to the DPO's attention"),
    "safeguarding.settings_changed": _("Screening settings changed"),
    "safeguarding.pattern_added": _("Pattern added"),
    "safeguarding.pattern_off": _("Pattern switched off"),
    "safeguarding.pattern_on": _("Pattern switched on"),
    "safeguarding.pattern_deleted": _("Pattern deleted"),
}

PATTERN_SENTENCES = {
    "safeguarding.pattern_added": _("%(lead)s added %(what)s to the %(language)s list "
                                    "(%(category)s)."),
    "safeguarding.pattern_off": _("%(lead)s switched off %(what)s on the %(language)s list "
                                  "(%(category)s)."),
    "safeguarding.pattern_on": _("%(lead)s switched on %(what)s on the %(language)s list "
                                 "(%(category)s)."),
    "safeguarding.pattern_deleted": _("%(lead)s deleted %(what)s from the %(language)s list "
                                      "(%(category)s)."),
}
LANGUAGE_NAMES = {"en": _("English"), "nl": _("Dutch"), "ru": _("Russian")}


@dataclass
class Item:
    """One open report or flag as the queue lists it."""

    kind: str  # "report" or "flag"
    obj: Report | Flag
    created_at: datetime


def open_items(school_id: int) -> list[Item]:
    """The school's open reports and flags, newest first."""
    reports = (Report.objects.filter(school_id=school_id, state=State.OPEN)
               .select_related("reporter", "person", "message__conversation__school_class",
                               "message__sender")
               .order_by("-created_at")[:QUEUE_LIMIT])
    flags = (Flag.objects.filter(school_id=school_id, state=State.OPEN)
             .select_related("message__conversation__school_class", "message__sender")
             .order_by("-created_at")[:QUEUE_LIMIT])
    items = [Item("report", r, r.created_at) for r in reports]
    items += [Item("flag", f, f.created_at) for f in flags]
    items.sort(key=lambda i: i.created_at, reverse=True)
    return items[:QUEUE_LIMIT]


def restrictions_in_force(school_id: int) -> QuerySet[Restriction]:
    return (Restriction.objects.filter(school_id=school_id, lifted_at__isnull=True,
                                       until__gt=timezone.now())
            .select_related("user").order_by("until"))


@dataclass
class Line:
    """One line of the oversight page: who did what, when, about whom or what, and why."""

    when: datetime
    who: str
    role: str
    what: str
    about: str
    where: str
    why: str
    notified: bool
    # What a change to the school's patterns did, said in full.
    sentence: str = ""


def _content(record: Record) -> dict[str, Any]:
    payload = getattr(record, "payload", None)
    return (payload.content or {}) if payload is not None else {}


def _why(kind: str, content: dict[str, Any]) -> str:
    """The reason typed, or for a report its reason and note, for a flag what matched."""
    if kind == "safeguarding.reported":
        reason = str(dict(Report.Reason.choices).get(content.get("reason", ""), ""))
        note = str(content.get("note") or "")
        return f"{reason}: {note}" if reason and note else reason or note
    if kind == "safeguarding.flagged":
        category = str(dict(Flag.Category.choices).get(content.get("category", ""), ""))
        return f"{category}: “{content.get('matched', '')}”" if category else ""
    return str(content.get("reason") or content.get("note") or "")


def pattern_label(kind: str, text: str) -> str:
    """Words or a regular expression, as a lead reads them."""
    if kind == Pattern.Kind.WORDS:
        return str(_("the words “%(text)s”") % {"text": text})
    return str(_("the regular expression “%(text)s”") % {"text": text})


def _pattern_sentence(kind: str, content: dict[str, Any], who: str) -> str:
    return str(PATTERN_SENTENCES[kind] % {
        "lead": who,
        "what": pattern_label(str(content.get("pattern_kind", "")), str(content.get("text", ""))),
        "language": str(LANGUAGE_NAMES.get(str(content.get("language", "")), "")),
        "category": str(dict(Flag.Category.choices).get(content.get("category", ""), "")),
    })


def _line(record: Record, names: dict[int, str]) -> Line:
    content = _content(record)
    actor = record.actor
    if actor is not None:
        who, role = actor.public_name, actor.get_role_display()
    elif "reporter_name" in content:
        who = str(content["reporter_name"])
        role = str(dict(Role.choices).get(content.get("reporter_role", ""), ""))
    else:
        who, role = str(_("The school's screen")), ""
    return Line(
        when=record.created_at,
        who=who,
        role=role,
        what=str(KIND_LABELS.get(record.kind, record.kind)),
        about=str(content.get("person_name", "")),
        # Named when read, in the reader's language (a class group is "Klassengroep 4B").
        where=names.get(content.get("conversation") or 0,
                        str(content.get("conversation_name", ""))),
        why="" if record.kind in PATTERN_SENTENCES else _why(record.kind, content),
        notified=record.kind == "safeguarding.dpo_notified",
        sentence=(_pattern_sentence(record.kind, content, who)
                  if record.kind in PATTERN_SENTENCES else ""),
    )


class Lines(Sequence[Line]):
    """The school's safeguarding records, newest first, as lines (a lazy sequence for the
    paginator: only the page shown is read)."""

    def __init__(self, school: School) -> None:
        self.rows = (Record.objects.filter(scope=scopes.safeguarding(school.pk))
                     .select_related("actor", "payload").order_by("-position"))

    def __len__(self) -> int:
        return self.rows.count()

    @overload
    def __getitem__(self, key: int) -> Line: ...
    @overload
    def __getitem__(self, key: slice) -> list[Line]: ...

    def __getitem__(self, key: int | slice) -> Line | list[Line]:
        rows = [self.rows[key]] if isinstance(key, int) else list(self.rows[key])
        ids = {c for c in (_content(r).get("conversation") for r in rows) if isinstance(c, int)}
        names = {c.pk: c.name for c in
                 Conversation.objects.filter(pk__in=ids).select_related("school_class")}
        lines = [_line(r, names) for r in rows]
        return lines[0] if isinstance(key, int) else lines


def oversight_lines(school: School) -> Lines:
    return Lines(school)
