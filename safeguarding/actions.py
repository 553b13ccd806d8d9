"""What changes in safeguarding: reports, flags, the lead's decisions, case notes.

Each action checks its rule (``can``), writes, appends one record to the school's safeguarding
chain (:func:`archive.scopes.safeguarding`: who, what, when and why, for the DPO's oversight
page) in the same transaction, and tells the school's leads after the commit, so their open
queue refreshes itself. Removing, restricting, releasing and rejecting are messaging's
mechanics (:mod:`messaging.actions.moderation`), called inside the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import Pupil, School, User
from archive import chain, scopes
from archive.models import AuditEntry
from messaging import queries
from messaging.actions import moderation
from messaging.models import Membership, Message, Restriction
from messaging.publish import publish_user_on_commit
from safeguarding import defaults
from safeguarding.access import leads_of
from safeguarding.models import (
    CaseNote,
    Flag,
    Pattern,
    Report,
    SafeguardingSettings,
    State,
)
from safeguarding.screen import MARK, refusal

NOTE_MAX_CHARS = 2000
PATTERN_MAX_CHARS = 300
QUEUE_EVENT = {"type": "safeguarding_queue"}

Item = Report | Flag


def _text(value: object, *, required: bool) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationError(_("Give a reason."), code="required")
    if len(text) > NOTE_MAX_CHARS:
        raise ValidationError(_("This is too long (at most %(n)d characters).")
                              % {"n": NOTE_MAX_CHARS}, code="too_long")
    return text


def _tell_leads(school_id: int) -> None:
    """After the commit, every open queue of the school's leads fetches itself again."""
    for lead_id in leads_of(school_id).values_list("pk", flat=True):
        publish_user_on_commit(lead_id, QUEUE_EVENT)


def _record(kind: str, *, school_id: int, actor: User | None, subjects: Iterable[Any] = (),
            **payload: Any) -> None:
    chain.record(kind, scope=scopes.safeguarding(school_id), actor=actor,
                   subjects=list(subjects), payload=payload)


def _describe_message(message: Message) -> dict[str, Any]:
    """Ids, never names: a payload cannot be edited, and an erased person's name must leave
    every page; pages name people and conversations from the live rows when they are read."""
    return {"message": message.pk, "conversation": message.conversation_id,
            "person": message.sender_id}


# --- the school's defaults -----------------------------------------------------------------

def seed_school(school: School) -> int:
    """Give a school the default patterns of every language and its settings (patterns it
    already has are kept as they are). Returns how many patterns were added."""
    SafeguardingSettings.objects.get_or_create(school=school)
    existing = set(Pattern.objects.filter(school=school)
                   .values_list("language", "category", "kind", "text"))
    new = [Pattern(school=school, language=language, category=category, kind=kind, text=text)
           for language, rows in defaults.DEFAULTS.items()
           for category, kind, text in rows
           if (language, category, kind, text) not in existing]
    Pattern.objects.bulk_create(new)
    return len(new)


def on_school_created(sender: Any, school: School, **kwargs: Any) -> None:
    seed_school(school)


# --- reports -------------------------------------------------------------------------------

def _reason(reason: object) -> str:
    if reason not in Report.Reason.values:
        raise ValidationError(_("Choose a reason."), code="invalid")
    return str(reason)


def _reporter(reporter: User) -> dict[str, Any]:
    """Who reported, by id in the record's payload: neither its actor nor one of its subjects,
    so no listing of a person's records by actor or subject finds it. The DPO's oversight
    page names the reporter from the live account."""
    return {"reporter": reporter.pk}


def report_message(reporter: User, message: Message, *, reason: str, note: str = "") -> Report:
    """A member reports someone else's message to the school's safeguarding leads."""
    if not can(reporter, "message.report", message):
        raise PermissionDenied(_("You cannot report this message."))
    chosen, text = _reason(reason), _text(note, required=False)
    school_id = message.conversation.school_id
    with transaction.atomic():
        report = Report.objects.create(school_id=school_id, message=message,
                                       person=message.sender, reporter=reporter,
                                       reason=chosen, note=text)
        _record("safeguarding.reported", school_id=school_id, actor=None,
                subjects=[message.sender], report=report.pk, reason=chosen,
                note=text, **_reporter(reporter), **_describe_message(message))
        _tell_leads(school_id)
    return report


def report_person(reporter: User, person: User, *, reason: str, note: str = "") -> Report:
    """A member reports a person (not one message) to the school's safeguarding leads."""
    if not can(reporter, "person.report", person):
        raise PermissionDenied(_("You cannot report this person."))
    chosen, text = _reason(reason), _text(note, required=False)
    assert person.school_id is not None  # the rule refuses a person of no school
    with transaction.atomic():
        report = Report.objects.create(school_id=person.school_id, person=person,
                                       reporter=reporter, reason=chosen, note=text)
        _record("safeguarding.reported", school_id=person.school_id, actor=None,
                subjects=[person], report=report.pk, reason=chosen, note=text,
                person=person.pk, **_reporter(reporter))
        _tell_leads(person.school_id)
    return report


# --- flags -----------------------------------------------------------------------------------

def record_flags(results: list[tuple[int, Any]]) -> list[Flag]:
    """Store this app's flags for screened messages (``messages_screened`` after the commit)."""
    wanted = [(pk, flag) for pk, verdict in results for flag in verdict.flags
              if isinstance(flag, dict) and flag.get(MARK)]
    if not wanted:
        return []
    messages = {m.pk: m for m in Message.objects.filter(pk__in={pk for pk, _ in wanted})
                .select_related("conversation", "sender")}
    with transaction.atomic():
        flags = Flag.objects.bulk_create([
            Flag(school_id=messages[pk].conversation.school_id, message_id=pk,
                 category=flag["category"], pattern_id=flag.get("pattern"),
                 matched=str(flag.get("matched", ""))[:200])
            for pk, flag in wanted if pk in messages])
        schools = set()
        for each in flags:
            message = messages[each.message_id]
            schools.add(each.school_id)
            _record("safeguarding.flagged", school_id=each.school_id, actor=None,
                    subjects=[message.sender], flag=each.pk, category=each.category,
                    matched=each.matched, held=message.held_at is not None,
                    **_describe_message(message))
        for school_id in schools:
            _tell_leads(school_id)
    return flags


def on_messages_screened(sender: Any, results: list[tuple[int, Any]], **kwargs: Any) -> None:
    record_flags(results)


# --- the lead's decisions ---------------------------------------------------------------------

def _refuse(by: User, action: Any, obj: Any) -> None:
    if not can(by, action, obj):
        raise PermissionDenied(_("Only the school's safeguarding lead can do this."))


def _close(items: Iterable[Item], by: User, state: str) -> None:
    now = timezone.now()
    for item in items:
        if item.state == State.OPEN:
            item.state, item.handled_by, item.handled_at = state, by, now
            item.save(update_fields=["state", "handled_by", "handled_at"])


def _open_about(message: Message) -> list[Item]:
    """Every open report and flag about the message: one decision answers them all."""
    return [*Report.objects.filter(message=message, state=State.OPEN),
            *Flag.objects.filter(message=message, state=State.OPEN)]


def _item_payload(item: Item) -> dict[str, Any]:
    payload: dict[str, Any] = {"flag" if isinstance(item, Flag) else "report": item.pk}
    if item.message is not None:
        payload.update(_describe_message(item.message))
    elif isinstance(item, Report):
        payload.update(person=item.person_id)
    return payload


def dismiss(by: User, item: Item, *, reason: str = "") -> Item:
    """Nothing to do about this report or flag, nor about any other open one about the same
    message: they all leave the open queue."""
    _refuse(by, "safeguarding.review", item)
    text = _text(reason, required=False)
    with transaction.atomic():
        _close([item, *(_open_about(item.message) if item.message is not None else [])], by,
               State.DISMISSED)
        _record("safeguarding.dismissed", school_id=item.school_id, actor=by,
                reason=text, **_item_payload(item))
        _tell_leads(item.school_id)
    return item


def _message_of(item: Item) -> Message:
    if item.message is None:
        raise ValidationError(_("This report is about a person, not a message."), code="invalid")
    return item.message


def _decide_on_message(by: User, item: Item, kind: str, state: str,
                       change: Callable[[Message, str], Message], *,
                       reason: str | None = None) -> Message:
    """One decision about the item's message: made through moderation (``change`` is given
    the message and the reason), the item and every other open report or flag about the
    message closed, and recorded, in one transaction. A ``reason`` given is required."""
    message = _message_of(item)
    _refuse(by, "safeguarding.remove", message)
    text = _text(reason, required=True) if reason is not None else ""
    with transaction.atomic():
        changed = change(message, text)
        _close([item, *_open_about(message)], by, state)
        _record(kind, school_id=item.school_id, actor=by, subjects=[message.sender],
                **({"reason": text} if reason is not None else {}), **_item_payload(item))
        _tell_leads(item.school_id)
    return changed


def remove(by: User, item: Item, *, reason: str) -> Message:
    """Remove the reported or flagged message: every member sees "Removed by the school"."""
    return _decide_on_message(
        by, item, "safeguarding.removed", State.ACTIONED,
        lambda message, text: moderation.remove_message(by=by, message=message, reason=text),
        reason=reason)


def release(by: User, item: Item) -> Message:
    """Publish the held message after all: every member receives it."""
    return _decide_on_message(
        by, item, "safeguarding.released", State.DISMISSED,
        lambda message, _reason: moderation.release_message(by=by, message=message))


def reject(by: User, item: Item, *, reason: str) -> Message:
    """Keep the held message unpublished: its sender sees "Not published by the school"."""
    return _decide_on_message(
        by, item, "safeguarding.rejected", State.ACTIONED,
        lambda message, text: moderation.reject_message(by=by, message=message, reason=text),
        reason=reason)


def restrict(by: User, item: Item, *, until: datetime, reason: str) -> Restriction:
    """The person reported (or the flagged message's sender) may read but not post until
    ``until``. The item stays open: the lead may still remove the message, or dismiss it."""
    person = item.person if isinstance(item, Report) else item.message.sender
    _refuse(by, "safeguarding.restrict", person)
    text = _text(reason, required=True)
    with transaction.atomic():
        restriction = moderation.restrict_member(by=by, user=person, until=until, reason=text)
        _record("safeguarding.restricted", school_id=item.school_id, actor=by,
                subjects=[person], reason=text, until=until.isoformat(),
                restriction=restriction.pk, **(_item_payload(item) | {"person": person.pk}))
        _tell_leads(item.school_id)
    return restriction


def lift(by: User, restriction: Restriction) -> None:
    """End a restriction early: the person may post again at once."""
    _refuse(by, "safeguarding.restrict", restriction.user)
    with transaction.atomic():
        moderation.lift_restriction(by=by, restriction=restriction)
        _record("safeguarding.lifted", school_id=restriction.school_id, actor=by,
                subjects=[restriction.user], restriction=restriction.pk,
                person=restriction.user_id)


def needs_reason_to_look(by: User, message: Message) -> bool:
    """A lead who is not a member of the conversation says why before looking at it."""
    return not Membership.objects.filter(conversation_id=message.conversation_id, user=by,
                                         ended_at__isnull=True).exists()


def look(by: User, item: Item, *, reason: str = "") -> list[Message]:
    """The message with a few before and after it. A lead who is not a member of the
    conversation gives a reason, and the look is on record: who looked at what, when, why."""
    message = item.message
    if message is None:
        raise ValidationError(_("This report is about a person, not a message."), code="invalid")
    _refuse(by, "safeguarding.view_conversation", message.conversation)
    if needs_reason_to_look(by, message):
        text = _text(reason, required=True)
        with transaction.atomic():
            _record("safeguarding.looked", school_id=item.school_id, actor=by,
                    subjects=[message.sender], reason=text, **_item_payload(item))
    return queries.messages_around(message)


def add_case_note(by: User, pupil: Pupil, *, text: str) -> CaseNote:
    """A note about a pupil, for the school's safeguarding leads only."""
    _refuse(by, "safeguarding.case_note", pupil)
    body = _text(text, required=True)
    with transaction.atomic():
        note = CaseNote.objects.create(school_id=pupil.school_id, pupil=pupil, author=by,
                                       text=body)
        _record("safeguarding.case_note", school_id=pupil.school_id, actor=by,
                subjects=[pupil], note=note.pk, pupil=pupil.pk)
    return note


def notify_dpo(by: User, item: Item, *, note: str) -> None:
    """Bring a report or flag to the DPO's attention: it stands out on their oversight page."""
    _refuse(by, "safeguarding.review", item)
    text = _text(note, required=True)
    with transaction.atomic():
        _record("safeguarding.dpo_notified", school_id=item.school_id, actor=by,
                reason=text, **_item_payload(item))


def change_settings(by: User, school: School, *, hold_pupil_messages: bool,
                    allowed_url_hosts: Iterable[str]) -> SafeguardingSettings:
    """Whether pupils' matching messages wait for review, and which hosts' links are never
    taken for personal data (a host allows its subdomains too)."""
    _refuse(by, "safeguarding.settings", school)
    hosts = sorted({h.strip().lower().rstrip(".") for h in allowed_url_hosts if h.strip()})
    with transaction.atomic():
        current, _ = SafeguardingSettings.objects.select_for_update().get_or_create(school=school)
        current.hold_pupil_messages = hold_pupil_messages
        current.allowed_url_hosts = "\n".join(hosts)
        current.save(update_fields=["hold_pupil_messages", "allowed_url_hosts"])
        _record("safeguarding.settings_changed", school_id=school.pk, actor=by,
                hold_pupil_messages=hold_pupil_messages, allowed_url_hosts=hosts)
    return current


# --- the school's list of patterns -----------------------------------------------------------

DEFAULT_KEYS = frozenset((language, category, kind, text)
                         for language, rows in defaults.DEFAULTS.items()
                         for category, kind, text in rows)


def is_default(pattern: Pattern) -> bool:
    """Whether the pattern is one every school starts with: it can be switched off, not
    deleted, so the list can always be put back as it was."""
    return (pattern.language, pattern.category, pattern.kind, pattern.text) in DEFAULT_KEYS


def _describe_pattern(pattern: Pattern) -> dict[str, Any]:
    return {"pattern": pattern.pk, "language": pattern.language, "category": pattern.category,
            "pattern_kind": pattern.kind, "text": pattern.text}


def add_pattern(by: User, school: School, *, language: str, category: str, kind: str,
                text: str) -> Pattern:
    """The school adds words or a regular expression to its list: the next message is
    screened with it. A broken, too broad or repeated pattern is refused."""
    _refuse(by, "safeguarding.settings", school)
    if language not in Pattern.Language.values:
        raise ValidationError(_("Choose a language."), code="invalid")
    if category not in Flag.Category.values:
        raise ValidationError(_("Choose a category."), code="invalid")
    if kind not in Pattern.Kind.values:
        raise ValidationError(_("Choose words or a regular expression."), code="invalid")
    value = " ".join(text.split()) if kind == Pattern.Kind.WORDS else text.strip()
    if len(value) > PATTERN_MAX_CHARS:
        raise ValidationError(_("This is too long (at most %(n)d characters).")
                              % {"n": PATTERN_MAX_CHARS}, code="too_long")
    problem = refusal(kind, value)
    if problem is not None:
        raise ValidationError(problem, code="invalid")
    with transaction.atomic():
        same = Pattern.objects.select_for_update().filter(school=school, language=language,
                                                          kind=kind)
        same = (same.filter(text__iexact=value) if kind == Pattern.Kind.WORDS
                else same.filter(text=value))
        if same.exists():
            raise ValidationError(_("This is already on the school's list."), code="duplicate")
        try:
            with transaction.atomic():  # two leads adding the same at once: one wins
                pattern = Pattern.objects.create(school=school, language=language,
                                                 category=category, kind=kind, text=value)
        except IntegrityError:
            raise ValidationError(_("This is already on the school's list."),
                                  code="duplicate") from None
        _record("safeguarding.pattern_added", school_id=school.pk, actor=by,
                **_describe_pattern(pattern))
    return pattern


def switch_pattern(by: User, pattern: Pattern, *, active: bool) -> Pattern:
    """Switch a pattern on or off: off, it flags nothing from the next message on."""
    _refuse(by, "safeguarding.settings", pattern.school)
    with transaction.atomic():
        current = Pattern.objects.select_for_update().get(pk=pattern.pk)
        if current.active != active:
            current.active = active
            current.save(update_fields=["active"])
            _record("safeguarding.pattern_on" if active else "safeguarding.pattern_off",
                    school_id=current.school_id, actor=by, **_describe_pattern(current))
    return current


def delete_pattern(by: User, pattern: Pattern) -> None:
    """Delete a pattern the school added (a default is switched off instead). Flags it
    raised stay, with what they matched."""
    _refuse(by, "safeguarding.settings", pattern.school)
    if is_default(pattern):
        raise ValidationError(_("A pattern every school starts with can be switched off, "
                                "not deleted."), code="default")
    with transaction.atomic():
        described = _describe_pattern(pattern)
        Pattern.objects.filter(pk=pattern.pk).delete()
        _record("safeguarding.pattern_deleted", school_id=pattern.school_id, actor=by,
                **described)


def audit_oversight(dpo: User) -> None:
    """The DPO's own look at the oversight page is in their audit log, like every DPO page."""
    if not can(dpo, "safeguarding.oversight", dpo):
        raise PermissionDenied(_("Only the school's DPO can do this."))
    AuditEntry.objects.create(school_id=dpo.school_id, actor=dpo,
                              action="safeguarding.oversight_viewed", details={})
