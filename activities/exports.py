"""What the activities add to subject access exports and the audit pages.

- A pupil's export (``archive.sections``): the replies given for the pupil and the signatures
  and withdrawals of their permission slips, from the archive (every reply, not only the last),
  each naming the activity. The slips are also consent records, which the consent section
  holds.
- A guardian's export needs nothing registered: the records of their replies and signatures
  name them as a subject (``events``), and their slips are consent records
  (``consent_records``).
- The audit lines (``records.lines``) say each activity record as a sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from accounts.models import Pupil
from archive import scopes
from archive.models import Record
from archive.sections import Candidate, Section, register_section
from records import lines

KINDS = ("activity.replied", "activity.signed", "activity.withdrawn")


def _answer(value: object) -> str:
    return {"coming": _("coming"), "not_coming": _("not coming"),
            "maybe": _("maybe")}.get(str(value), str(value))


def described(kind: str, content: Mapping[str, Any]) -> str:
    """A reply or a signature as a sentence, without names (the export names the people)."""
    title = str(content.get("title", ""))
    if kind == "activity.replied":
        text = _("Reply to “%(title)s”: %(answer)s") % {"title": title,
                                                        "answer": _answer(content.get("answer"))}
        note = str(content.get("note") or "")
        return f"{text} ({note})" if note else text
    if kind == "activity.signed":
        return _("Permission slip for “%(title)s” signed") % {"title": title}
    return _("Permission slip for “%(title)s” withdrawn") % {"title": title}


def _content(record: Record) -> Mapping[str, Any]:
    try:
        content = record.payload.content
    except Record.payload.RelatedObjectDoesNotExist:  # purged under retention
        return {}
    return content if isinstance(content, dict) else {}


def about_pupil(pupil: Pupil) -> list[Candidate]:
    found = (Record.objects.filter(kind__in=KINDS, scope=scopes.activities(pupil.school_id),
                                   subjects__pupil_id=pupil.pk)
             .select_related("payload").order_by("created_at", "pk").distinct())
    result = []
    for record in found:
        content = _content(record)
        result.append(Candidate(
            key=f"activity:{record.pk}", at=record.created_at,
            place=str(content.get("title", "")) or _("Activities"), actor_id=record.actor_id,
            text=described(record.kind, content), facts={"record": record.pk}))
    return result


def _say(kind: str) -> lines.Sentence:
    def say(c: Mapping[str, Any], n: lines.Names) -> str:
        pupil = n.pupil(c.get("pupil"))
        title = str(c.get("title", ""))
        if kind == "activity.replied":
            return _("Replied for %(pupil)s to “%(title)s”: %(answer)s.") % {
                "pupil": pupil, "title": title, "answer": _answer(c.get("answer"))}
        if kind == "activity.signed":
            return _("Signed the permission slip of “%(title)s” for %(pupil)s.") % {
                "pupil": pupil, "title": title}
        return _("Withdrew the permission of “%(title)s” for %(pupil)s.") % {
            "pupil": pupil, "title": title}
    return say


SENTENCES: dict[str, lines.Sentence] = {
    "activity.created": lambda c, n: _("Announced “%(title)s”.") % {"title": c.get("title", "")},
    "activity.reminded": lambda c, n: _("Reminded the parents about “%(title)s”.") % {
        "title": c.get("title", "")},
    **{kind: _say(kind) for kind in KINDS},
}


def register() -> None:
    """From ``ActivitiesConfig.ready``."""
    register_section(Section("activities", lambda: _("Activity replies and permission slips"),
                             about_pupil))
    lines.SENTENCES.update(SENTENCES)
