"""Safeguarding records and subject access exports: withheld unless the DPO releases one.

A person reported to the safeguarding lead may ask for their data; their export must not let
them find who reported them. So every safeguarding record (what the school's safeguarding chain
holds: reports, flags, the leads' looks, decisions and case notes, and messaging's records of
the same decisions: removals, restrictions, reviews of held messages, blocks) stays out of
every subject access export. The DPO may release one record into the export of a person it
concerns, with a reason (:func:`release`: an ``export.released`` record in the DPO's chain
and an audit entry); the export then describes it from a fixed list of facts, never the
reporter, their note, the payload or the record's hash (docs/archive.md, "Safeguarding
records").

The archive is the list of releases: the export reads the ``export.released`` records naming
its subject, so a release, once made, is on record and cannot quietly disappear.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import Pupil, School, User
from archive import chain, scopes
from archive.models import AuditEntry, Record, Subject
from messaging.models import Conversation
from records import lines

RELEASED_KIND = "export.released"
REASON_MAX_CHARS = 2000
# Messaging's records of what a safeguarding lead decided (docs/architecture.md, "Moderation"),
# and blocks: written in a conversation's or the school's chain, withheld all the same.
MODERATION_KINDS = ("message.removed", "message.released", "message.rejected",
                    "member.restricted", "member.restriction_lifted",
                    "person.blocked", "person.unblocked")


def withheld() -> Q:
    """The records a subject access export leaves out unless released (a filter on Record)."""
    return (Q(scope__startswith=f"{scopes.SAFEGUARDING}:")
            | Q(kind__startswith=f"{scopes.SAFEGUARDING}.") | Q(kind__in=MODERATION_KINDS))


def released_ids(account: User | None, pupil: Pupil | None) -> dict[int, str]:
    """The withheld records released into this subject's export: record id -> the reason."""
    condition = Q(pk__in=[])
    if account is not None:
        condition |= Q(user_id=account.pk)
    if pupil is not None:
        condition |= Q(pupil_id=pupil.pk)
    found: dict[int, str] = {}
    for content in (Record.objects.filter(kind=RELEASED_KIND, pk__in=Subject.objects.filter(
            condition).values("record_id")).order_by("pk").values_list("payload__content",
                                                                       flat=True)):
        if isinstance(content, dict) and isinstance(content.get("record"), int):
            found[content["record"]] = str(content.get("reason") or "")
    return found


# --- what an export says of a released record ------------------------------------------------

# Labels as safeguarding's own pages say them (the safeguarding app is not imported here:
# records and safeguarding are independent layers).
REPORT_REASONS: dict[str, Callable[[], str]] = {
    "bullying": lambda: _("Bullying"), "inappropriate": lambda: _("Inappropriate content"),
    "worry": lambda: _("Worried about a child"), "personal_data": lambda: _("Personal data shared"),
    "other": lambda: _("Something else")}
FLAG_CATEGORIES: dict[str, Callable[[], str]] = {
    "self_harm": lambda: _("Self-harm"), "bullying": lambda: _("Bullying"),
    "sexual": lambda: _("Sexual content"), "personal_data": lambda: _("Personal data")}

Said = Callable[[Mapping[str, Any]], str]


def _reason(content: Mapping[str, Any]) -> str:
    return str(content.get("reason") or "")


SENTENCES: dict[str, Said] = {
    # A report says why, never who: not the reporter, not their note (their own words).
    "safeguarding.reported": lambda c: _("Someone reported this to the school's safeguarding "
                                         "lead (%(reason)s). Who reported it is not shown.") % {
        "reason": REPORT_REASONS.get(str(c.get("reason")), lambda: _("Something else"))()},
    "safeguarding.flagged": lambda c: _("The school's screen flagged a message (%(category)s).") % {
        "category": FLAG_CATEGORIES.get(str(c.get("category")), lambda: "")()},
    "safeguarding.dismissed": lambda c: _("The safeguarding lead decided nothing needed doing."),
    "safeguarding.removed": lambda c: _("The safeguarding lead removed a message."),
    "safeguarding.restricted": lambda c: _("The safeguarding lead let the person read but not "
                                           "post for a while."),
    "safeguarding.lifted": lambda c: _("The safeguarding lead lifted a restriction."),
    "safeguarding.released": lambda c: _("The safeguarding lead published a held message."),
    "safeguarding.rejected": lambda c: _("The safeguarding lead did not publish a held message."),
    "safeguarding.looked": lambda c: _("The safeguarding lead looked at a conversation."),
    "conversation.lead_read": lambda c: _("The safeguarding lead looked at a conversation."),
    "safeguarding.case_note": lambda c: _("The safeguarding lead wrote a case note."),
    "safeguarding.dpo_notified": lambda c: _("The safeguarding lead told the data-protection "
                                             "officer."),
}
# Kinds whose typed reason is the lead's (a report's "reason" is its category, said above).
LEAD_REASONS = {"safeguarding.dismissed", "safeguarding.removed", "safeguarding.restricted",
                "safeguarding.rejected", "safeguarding.looked", "safeguarding.dpo_notified",
                "message.removed", "message.rejected", "member.restricted"}


def describe(record: Record, content: Mapping[str, Any], said: lines.Names) -> str:
    """A released record as one sentence, from a fixed list of its facts."""
    say = SENTENCES.get(record.kind)
    text = say(content) if say is not None else lines.sentence(record.kind, content, said)
    if record.kind in LEAD_REASONS and _reason(content):
        text = _("%(what)s Why: %(why)s") % {"what": text, "why": _reason(content)}
    return text


def released_rows(account: User | None, pupil: Pupil | None,
                  user_name: Callable[[int | None], str]) -> list[dict[str, Any]]:
    """The export's ``safeguarding`` section: each released record with the DPO's reason.

    No record hash and no payload: the hash of a record written before payloads were salted
    would let the reader try every possible reporter against it. A report has no actor (the
    reporter is in its payload only), and its ``by`` says so rather than naming anyone."""
    reasons = released_ids(account, pupil)
    if not reasons:
        return []
    found = list(Record.objects.filter(withheld(), pk__in=list(reasons))
                 .select_related("payload").order_by("created_at", "pk"))
    contents = [_content(rec) for rec in found]
    said = lines.Names(contents)
    said.users = {pk: user_name(pk) for pk in said.users}
    return [{"record": rec.pk, "kind": rec.kind, "at": rec.created_at.isoformat(),
             "by": (_("not shown") if rec.kind == "safeguarding.reported"
                    else user_name(rec.actor_id)),
             "description": describe(rec, content, said),
             "released_because": reasons[rec.pk]}
            for rec, content in zip(found, contents, strict=True)]


def _content(record: Record) -> dict[str, Any]:
    try:
        content = record.payload.content
    except Record.payload.RelatedObjectDoesNotExist:
        return {}
    return content if isinstance(content, dict) else {}


# --- the DPO's release ------------------------------------------------------------------------

def _school_of(dpo: User) -> School:
    if dpo.school is None:
        raise PermissionDenied(_("You are not in a school."))
    return dpo.school


def of_school(record: Record, school: School) -> bool:
    """Whether the record is in one of the school's chains that hold withheld records."""
    conversation = scopes.conversation_id(record.scope)
    if conversation is not None:
        return Conversation.objects.filter(pk=conversation, school=school).exists()
    return record.scope in (scopes.safeguarding(school.pk), scopes.school(school.pk))


def release(dpo: User, record: Record, subject: User | Pupil, reason: str) -> Record:
    """Put one withheld record into the subject access exports of a person (or pupil) it
    concerns, for the reason given: on record (``export.released``) and audited."""
    if not can(dpo, "archive.release", subject):
        raise PermissionDenied(_("You cannot release safeguarding records."))
    school = _school_of(dpo)
    text = (reason or "").strip()
    if not text:
        raise ValidationError(_("Give the reason for releasing it."), code="reason")
    if len(text) > REASON_MAX_CHARS:
        raise ValidationError(_("This is too long (at most %(n)d characters).")
                              % {"n": REASON_MAX_CHARS}, code="too_long")
    if not (Record.objects.filter(withheld(), pk=record.pk).exists()
            and of_school(record, school)):
        raise ValidationError(_("This is not a safeguarding record of your school."),
                              code="record")
    key = "user" if isinstance(subject, User) else "pupil"
    ids = record.subject_user_ids if key == "user" else record.subject_pupil_ids
    if subject.pk not in ids:
        raise ValidationError(_("Choose a person the record is about."), code="subject")
    with transaction.atomic():
        made = chain.record("export.released", scope=scopes.dpo(school.pk), actor=dpo,
                              subjects=[subject],
                              payload={"record": record.pk, key: subject.pk, "reason": text})
        AuditEntry.objects.create(school=school, actor=dpo, action="export.released",
                                  details={"record": record.pk, key: subject.pk})
    return made
