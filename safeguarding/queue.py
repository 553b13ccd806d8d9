"""What the lead's queue and the DPO's oversight page read (no writes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, overload

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Pupil, School, User
from archive import scopes
from archive.models import Record
from messaging.models import Conversation, Restriction
from safeguarding.models import Flag, Pattern, Report, State

# What the records office archives when the DPO releases a safeguarding record into a subject
# access export (records/releases.py; records is not imported here).
RELEASED_KIND = "export.released"

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
    """One open report or flag."""

    kind: str  # "report" or "flag"
    obj: Report | Flag
    created_at: datetime


@dataclass
class Entry:
    """One line of the queue: a message with every open report and flag about it (one
    decision answers them all), or a report about a person."""

    items: list[Item]

    @property
    def first(self) -> Item:
        """The item the line links to: the oldest, so the link stays while more arrive."""
        return self.items[-1]

    @property
    def newest(self) -> datetime:
        return self.items[0].created_at

    @property
    def message(self) -> Any:
        return self.first.obj.message

    @property
    def reports(self) -> list[Report]:
        return [i.obj for i in self.items if isinstance(i.obj, Report)]

    @property
    def flags(self) -> list[Flag]:
        return [i.obj for i in self.items if isinstance(i.obj, Flag)]


def open_items(school_id: int) -> list[Entry]:
    """The school's open reports and flags, one entry per message, newest first."""
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
    entries: dict[tuple[str, int], Entry] = {}
    for item in items:
        key = (("message", item.obj.message_id) if item.obj.message_id is not None
               else ("report", item.obj.pk))
        entries.setdefault(key, Entry([])).items.append(item)
    return list(entries.values())[:QUEUE_LIMIT]


def about_message(item: Report | Flag) -> list[Item]:
    """Every report and flag about the item's message (the item alone for a report about a
    person), oldest first: what the item's page lists."""
    if item.message_id is None:
        return [Item("report", item, item.created_at)]
    found = [Item("report", r, r.created_at) for r in Report.objects.filter(
        message_id=item.message_id).select_related("reporter", "handled_by")]
    found += [Item("flag", f, f.created_at) for f in Flag.objects.filter(
        message_id=item.message_id).select_related("handled_by")]
    found.sort(key=lambda i: (i.created_at, i.kind, i.obj.pk))
    return found


def restrictions_in_force(school_id: int) -> QuerySet[Restriction]:
    return (Restriction.objects.filter(school_id=school_id, lifted_at__isnull=True,
                                       until__gt=timezone.now())
            .select_related("user").order_by("until"))


@dataclass
class Line:
    """One line of the oversight page: who did what, when, about whom or what, and why."""

    record: int
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
    # Whom the record concerns ("user:12" or "pupil:3", and their name): the DPO may release
    # it into one of their subject access exports.
    subjects: list[tuple[str, str]] = field(default_factory=list)
    # Whose exports the DPO released it into, by name.
    released_to: list[str] = field(default_factory=list)


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


@dataclass
class Names:
    """The live names a page of lines mentions: a payload holds ids (an erased person's
    account carries their pseudonym, so the page shows it), read once per page."""

    people: dict[int, User]
    pupils: dict[int, str]
    conversations: dict[int, str]

    @classmethod
    def of(cls, contents: list[dict[str, Any]]) -> Names:
        def ids(*keys: str) -> set[int]:
            return {v for c in contents for k in keys
                    if isinstance(v := c.get(k), int) and not isinstance(v, bool)}

        return cls(
            people=User.objects.in_bulk(ids("reporter", "person")),
            pupils={p.pk: str(p) for p in Pupil.objects.filter(pk__in=ids("pupil"))},
            conversations={c.pk: c.name for c in Conversation.objects.filter(
                pk__in=ids("conversation")).select_related("school_class")})

    def person(self, pk: Any) -> User | None:
        return self.people.get(pk) if isinstance(pk, int) else None


def _line(record: Record, content: dict[str, Any], names: Names) -> Line:
    actor = record.actor
    reporter = names.person(content.get("reporter"))
    if actor is not None:
        who, role = actor.public_name, actor.get_role_display()
    elif reporter is not None:
        who, role = reporter.public_name, reporter.get_role_display()
    else:
        who, role = str(_("The school's screen")), ""
    person = names.person(content.get("person"))
    about = (person.public_name if person is not None
             else names.pupils.get(content.get("pupil") or 0, ""))
    return Line(
        record=record.pk,
        when=record.created_at,
        who=who,
        role=role,
        what=str(KIND_LABELS.get(record.kind, record.kind)),
        about=about,
        # Named when read, in the reader's language (a class group is "Klassengroep 4B").
        where=names.conversations.get(content.get("conversation") or 0, ""),
        why="" if record.kind in PATTERN_SENTENCES else _why(record.kind, content),
        notified=record.kind == "safeguarding.dpo_notified",
        sentence=(_pattern_sentence(record.kind, content, who)
                  if record.kind in PATTERN_SENTENCES else ""),
        subjects=[*((f"user:{pk}", names.people[pk].public_name)
                    for pk in record.subject_user_ids if pk in names.people),
                  *((f"pupil:{pk}", names.pupils[pk])
                    for pk in record.subject_pupil_ids if pk in names.pupils)],
    )


class Lines(Sequence[Line]):
    """The school's safeguarding records, newest first, as lines (a lazy sequence for the
    paginator: only the page shown is read)."""

    def __init__(self, school: School) -> None:
        self.school = school
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
        contents = [_content(r) for r in rows]
        # The subjects too: a line offers to release the record into one of their exports.
        wanted = [*contents, *({"person": pk} for r in rows for pk in r.subject_user_ids),
                  *({"pupil": pk} for r in rows for pk in r.subject_pupil_ids)]
        released = [c for c in Record.objects.filter(
            scope=scopes.dpo(self.school.pk), kind=RELEASED_KIND,
            payload__content__record__in=[r.pk for r in rows],
        ).order_by("pk").values_list("payload__content", flat=True) if isinstance(c, dict)]
        names = Names.of([*wanted, *({"person": c.get("user"), "pupil": c.get("pupil")}
                                     for c in released)])
        lines = [_line(r, c, names) for r, c in zip(rows, contents, strict=True)]
        by_record = {line.record: line for line in lines}
        for c in released:
            line = by_record.get(c.get("record"))  # type: ignore[arg-type]
            person = names.person(c.get("user"))
            if line is not None:
                line.released_to.append(person.public_name if person is not None
                                        else names.pupils.get(c.get("pupil") or 0, ""))
        return lines[0] if isinstance(key, int) else lines


def oversight_lines(school: School) -> Lines:
    return Lines(school)
