"""What was written about a pupil: the sections the records office registers for a pupil's
subject access export (``archive.sections``), reviewed by the DPO before the ZIP is made.

- **Messages naming the pupil**: the pupil's full name anywhere in the school; the given name
  alone in the pupil's own conversations (the class groups and class announcements of the
  pupil's classes, the one-to-one conversations of the pupil's guardians), where "Дмитрий will
  be late" can only mean them. From the archive, so edited versions count too.
- **Photos tagging the pupil** (sent with a message).
- **Consent records about the pupil.**

Names match as search does, case and accents folded in every script (``archive.folding``:
"дмитрий" finds "Дмитрий", "Zoe" finds "Zoë"), and as whole words: "Ann" does not find "Anna".
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Enrolment, Guardianship, Pupil
from archive import folding
from archive.models import Record
from archive.sections import Candidate, Section, register_section
from consent.models import ConsentRecord
from messaging.export import ConversationExport
from messaging.models import Attachment, Conversation
from records.export import rows_of

# Posted and edited versions: a retraction says nothing new about the pupil.
NAMING_KINDS = ("message.posted", "message.edited")

_conversations = ConversationExport()


def name_pattern(name: str) -> re.Pattern[str] | None:
    """A whole-word pattern for ``name`` (its words in order, any spacing), to be searched in
    folded text; None for an empty name."""
    words = folding.fold(name).split()
    if not words:
        return None
    return re.compile(r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)")


def names(text: str, pattern: re.Pattern[str] | None) -> bool:
    return pattern is not None and pattern.search(folding.fold(text)) is not None


def _may_mention(name: str) -> Q:
    """A database filter that keeps every message that could name ``name``: the payload's
    folded text holds each of its words (the search's own index). The pattern decides
    afterwards."""
    return folding.matching("payload__folded", name) if name.split() else Q(pk__in=[])


def own_conversations(pupil: Pupil) -> Any:
    """The pupil's own conversations: their classes' groups and announcements, their
    guardians' one-to-ones (a queryset of ids)."""
    classes = Enrolment.objects.filter(pupil=pupil).values("school_class_id")
    guardians = Guardianship.objects.filter(pupil=pupil).values("guardian_id")
    return (Conversation.objects.filter(school_id=pupil.school_id)
            .filter(Q(kind__in=(Conversation.Kind.CLASS, Conversation.Kind.ANNOUNCEMENT),
                      school_class_id__in=classes)
                    | Q(kind=Conversation.Kind.DIRECT, memberships__user_id__in=guardians))
            .values("pk").distinct())


def naming_messages(pupil: Pupil) -> list[Candidate]:
    full = f"{pupil.first_name} {pupil.last_name}"
    given, whole = name_pattern(pupil.first_name), name_pattern(full)
    own = set(own_conversations(pupil).values_list("pk", flat=True))
    school = Conversation.objects.filter(school_id=pupil.school_id).values("pk")
    maybe = Q(conversation_id__in=own) & _may_mention(pupil.first_name) | _may_mention(full)
    rows = rows_of(Record.objects.filter(maybe, kind__in=NAMING_KINDS, payload__isnull=False,
                                         conversation_id__in=school)
                   .order_by("created_at", "pk"))
    found = [r for r in rows if r.content is not None and (
        names(str(r.content.get("body", "")), whole)
        or (r.conversation_id in own and names(str(r.content.get("body", "")), given)))]
    titles = _conversations.titles({r.conversation_id for r in found
                                    if r.conversation_id is not None})
    marked = _conversations.sensitivity({r.message_id for r in found if r.message_id})
    return [Candidate(key=f"message:{r.pk}", at=r.created_at,
                      place=titles.get(r.conversation_id or 0, ""), actor_id=r.actor_id,
                      text=str((r.content or {}).get("body", "")),
                      facts={"record": r.pk, "conversation_id": r.conversation_id,
                             "sensitive": marked.get(r.message_id or 0, "")})
            for r in found]


def tagged_photos(pupil: Pupil) -> list[Candidate]:
    photos = list(Attachment.objects.filter(pupils=pupil, message__isnull=False)
                  .select_related("message").order_by("message__created_at", "pk"))
    titles = _conversations.titles({a.conversation_id for a in photos})
    return [Candidate(key=f"photo:{a.pk}", at=a.message.created_at if a.message else None,
                      place=titles.get(a.conversation_id, ""),
                      actor_id=a.message.sender_id if a.message else None,
                      text=" ".join(filter(None, (a.name, a.message.body if a.message else ""))),
                      facts={"sha256": a.sha256, "message": a.message_id})
            for a in photos]


def consent_records(pupil: Pupil) -> list[Candidate]:
    decisions = {str(k): str(v) for k, v in ConsentRecord.Decision.choices}
    return [Candidate(key=f"consent:{c.pk}", at=c.decided_at, place=_("Consent"),
                      actor_id=c.guardian_id,
                      text=_("%(purpose)s (version %(version)s): %(decision)s") % {
                          "purpose": c.form.purpose.name, "version": c.form.version,
                          "decision": decisions.get(c.decision, c.decision)},
                      facts={"consent_record": c.pk})
            for c in ConsentRecord.objects.filter(pupil=pupil).select_related("form__purpose")
            .order_by("decided_at", "pk")]


def register() -> None:
    """The records office's sections (called from ``RecordsConfig.ready``)."""
    register_section(Section("messages", lambda: _("Messages naming the pupil"),
                             naming_messages))
    register_section(Section("photos", lambda: _("Photos the pupil is tagged in"),
                             tagged_photos))
    register_section(Section("consent", lambda: _("Consent records about the pupil"),
                             consent_records))
