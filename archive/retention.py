"""Retention: really delete what the school no longer keeps, unless a legal hold says not yet.

How it works, and why:
- A message expires ``days`` after it was posted, ``days`` being its school's policy for the
  conversation's category (group and class chat, one-to-one, announcements). Expired live
  messages are deleted together with the archive payloads (bodies) of every record about them.
  The records themselves stay: the chains still verify, and show that something was said, when,
  by whom, and that it was purged.
- Deletion runs in small batches, each its own transaction, so a chat writer never waits for a
  long purge; a crash loses at most the batch in flight, and the next run picks up from there.
- Each batch first appends a ``purge.done`` record listing what it deletes and under which
  policy, then an insert-only ``PurgedPayload`` row per payload naming that record; only then do
  the database triggers allow the payloads to be deleted.
- Legal holds are re-read inside each batch's transaction, so a hold placed mid-run protects
  everything not yet purged. A hold on a conversation keeps all of it; on a person, every
  conversation they were ever a member of; on a pupil, their class conversations, the
  conversations of their own account and the one-to-one conversations of their guardians.
- A message carrying attachments expires at the earlier of its category's policy and the
  attachments policy; its attachments (rows, pupil tags, stored files) go with it.
- The audit log expires by the same rule (``audit`` category). Consent records are reported,
  not purged here (their rows belong to the consent app).
- Every function takes ``now`` so that tests and the report can move the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

import archive
from accounts.models import Enrolment, Guardianship, Pupil, School
from archive.actions import retention_days, retention_scope
from archive.models import (
    PURGE_KIND,
    AuditEntry,
    Category,
    LegalHold,
    Payload,
    PurgedPayload,
    Record,
)
from messaging.models import Attachment, Conversation, Membership, Message

BATCH_SIZE = 500

KINDS_OF: dict[str, list[str]] = {
    Category.CHAT: [Conversation.Kind.CLASS, Conversation.Kind.GROUP],
    Category.DIRECT: [Conversation.Kind.DIRECT],
    Category.ANNOUNCEMENTS: [Conversation.Kind.ANNOUNCEMENT],
}


@dataclass
class Outcome:
    school: int
    category: str
    days: int
    cutoff: datetime
    messages: int = 0
    payloads: int = 0
    audit_entries: int = 0
    held: int = 0
    batches: int = 0
    purge_records: list[int] = field(default_factory=list)


def held_conversation_ids(school: School, now: datetime | None = None) -> set[int]:
    moment = now or timezone.now()
    holds = LegalHold.objects.filter(school=school, placed_at__lte=moment).filter(
        Q(lifted_at__isnull=True) | Q(lifted_at__gt=moment)
    )
    held: set[int] = set()
    users: set[int] = set()
    pupils: list[int] = []
    for conv, user, pupil in holds.values_list("conversation_id", "user_id", "pupil_id"):
        if conv:
            held.add(conv)
        if user:
            users.add(user)
        if pupil:
            pupils.append(pupil)
    if pupils:
        classes = Enrolment.objects.filter(pupil_id__in=pupils).values("school_class_id")
        held.update(Conversation.objects.filter(school_class_id__in=classes)
                    .values_list("pk", flat=True))
        users.update(u for u in Pupil.objects.filter(pk__in=pupils)
                     .values_list("user_id", flat=True) if u)
        guardians = Guardianship.objects.filter(pupil_id__in=pupils).values("guardian_id")
        held.update(Membership.objects.filter(
            user_id__in=guardians, conversation__kind=Conversation.Kind.DIRECT,
        ).values_list("conversation_id", flat=True))
    if users:
        held.update(Membership.objects.filter(user_id__in=users)
                    .values_list("conversation_id", flat=True))
    return held


def _with_attachments() -> QuerySet[Any]:
    return Attachment.objects.filter(message__isnull=False).values("message_id")


def _expired(school: School, category: str, cutoff: datetime,
             attachment_cutoff: datetime | None = None) -> QuerySet[Message]:
    """Messages past their category's policy, and messages carrying attachments past the
    attachments policy when that one is shorter."""
    expired = Q(created_at__lt=cutoff)
    if attachment_cutoff is not None and attachment_cutoff > cutoff:
        expired |= Q(created_at__lt=attachment_cutoff, pk__in=_with_attachments())
    return Message.objects.filter(
        expired, conversation__school=school, conversation__kind__in=KINDS_OF[category],
    )


def _delete_live_messages(ids: list[int]) -> int:
    """Delete the messages, what exists only for them, and their stored files (after commit).

    Rows that point at a message (receipts, events, acknowledgements, attachments) are part of
    that message for retention, whatever their ``on_delete``: they go first, each with one
    statement; links that merely refer to it (a reply's ``reply_to``) are cleared. The
    messages then go with one plain DELETE: Django's deletion collector would load every row
    into memory first, which is what makes large purges slow.
    """
    files: list[tuple[Any, str]] = []
    for relation in Message._meta.related_objects:
        if not relation.one_to_many:
            continue
        model = relation.related_model
        rows = model._base_manager.filter(**{f"{relation.field.name}__in": ids})
        if relation.on_delete is models.SET_NULL:
            rows.update(**{relation.field.name: None})
            continue
        for column in model._meta.concrete_fields:
            if isinstance(column, models.FileField):
                files += [(column.storage, name) for name in
                          rows.exclude(**{column.name: ""}).values_list(column.name, flat=True)]
        rows.delete()
    gone = Message.objects.filter(pk__in=ids)
    deleted: int = gone._raw_delete(gone.db)

    def remove_files() -> None:
        for storage, name in files:
            storage.delete(name)

    transaction.on_commit(remove_files)
    return deleted


def _purge_batch(school: School, category: str, days: int, cutoff: datetime,
                 message_ids: list[int], now: datetime,
                 attachment_days: int | None = None) -> tuple[int, int]:
    record_ids = list(
        # Uses index: archive_record_message.
        Record.objects.filter(message_id__in=message_ids, payload__isnull=False)
        .values_list("pk", flat=True)
    )
    purge = archive.record(
        PURGE_KIND, scope=retention_scope(school),
        payload={"category": category, "policy_days": days, "cutoff": cutoff.isoformat(),
                 "attachments_policy_days": attachment_days, "run_at": now.isoformat(),
                 "messages": message_ids, "records": record_ids},
    )
    PurgedPayload.objects.bulk_create(
        [PurgedPayload(record_id=r, purge_record=purge) for r in record_ids]
    )
    Payload.objects.filter(record_id__in=record_ids).delete()
    _delete_live_messages(message_ids)
    return purge.pk, len(record_ids)


def _purge_messages(school: School, category: str, days: int, now: datetime, *,
                    dry_run: bool, batch_size: int, attachment_days: int | None = None) -> Outcome:
    cutoff = now - timedelta(days=days)
    attachment_cutoff = now - timedelta(days=attachment_days) if attachment_days else None
    outcome = Outcome(school.pk, category, days, cutoff)
    last_pk = 0
    while True:
        with transaction.atomic():
            held = held_conversation_ids(school, now)
            expired = _expired(school, category, cutoff, attachment_cutoff)
            free = expired.exclude(conversation_id__in=held).order_by("pk")
            if dry_run:
                outcome.messages = free.count()
                outcome.held = expired.filter(conversation_id__in=held).count()
                return outcome
            # Keyset pagination: each batch starts where the last one ended.
            ids = list(free.filter(pk__gt=last_pk).values_list("pk", flat=True)[:batch_size])
            if not ids:
                outcome.held = expired.filter(conversation_id__in=held).count()
                return outcome
            last_pk = ids[-1]
            purge_id, payloads = _purge_batch(school, category, days, cutoff, ids, now,
                                              attachment_days)
        outcome.messages += len(ids)
        outcome.payloads += payloads
        outcome.batches += 1
        outcome.purge_records.append(purge_id)


def _purge_audit(school: School, days: int, now: datetime, *, dry_run: bool,
                 batch_size: int) -> Outcome:
    cutoff = now - timedelta(days=days)
    outcome = Outcome(school.pk, Category.AUDIT, days, cutoff)
    expired = AuditEntry.objects.filter(school=school, at__lt=cutoff)
    if dry_run:
        outcome.audit_entries = expired.count()
        return outcome
    while True:
        with transaction.atomic():
            ids = list(expired.order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                return outcome
            purge = archive.record(
                PURGE_KIND, scope=retention_scope(school),
                payload={"category": Category.AUDIT, "policy_days": days,
                         "cutoff": cutoff.isoformat(), "run_at": now.isoformat(),
                         "audit_entries": ids},
            )
            AuditEntry.objects.filter(pk__in=ids).delete()
        outcome.audit_entries += len(ids)
        outcome.batches += 1
        outcome.purge_records.append(purge.pk)


def apply_retention(now: datetime | None = None, *, dry_run: bool = False,
                    batch_size: int = BATCH_SIZE,
                    schools: Iterable[School] | None = None) -> list[Outcome]:
    """Purge everything past its school's retention period and not under legal hold."""
    moment = now or timezone.now()
    outcomes: list[Outcome] = []
    for school in schools if schools is not None else School.objects.order_by("pk"):
        days = retention_days(school)
        for category in KINDS_OF:
            outcomes.append(_purge_messages(school, category, days[category], moment,
                                            attachment_days=days[Category.ATTACHMENTS],
                                            dry_run=dry_run, batch_size=batch_size))
        outcomes.append(_purge_audit(school, days[Category.AUDIT], moment, dry_run=dry_run,
                                     batch_size=batch_size))
    return outcomes


@dataclass
class Forecast:
    category: str
    label: str
    days: int
    due: int
    held: int
    first_due: datetime | None
    purged_here: bool = True


def forecast(school: School, now: datetime | None = None, horizon_days: int = 30) -> list[Forecast]:
    """What retention will purge in the next ``horizon_days`` days, per category."""
    moment = now or timezone.now()
    days = retention_days(school)
    held = held_conversation_ids(school, moment)
    labels = dict(Category.choices)
    rows: list[Forecast] = []
    horizon = moment + timedelta(days=horizon_days)
    attachment_limit = horizon - timedelta(days=days[Category.ATTACHMENTS])
    attachments_due = 0
    for category in KINDS_OF:
        limit = horizon - timedelta(days=days[category])
        due = _expired(school, category, limit, attachment_limit)
        attachments_due += Attachment.objects.filter(
            message__in=due.exclude(conversation_id__in=held)).count()
        first = due.exclude(conversation_id__in=held).order_by("created_at").first()
        rows.append(Forecast(
            category, str(labels[category]), days[category],
            due.exclude(conversation_id__in=held).count(),
            due.filter(conversation_id__in=held).count(),
            first.created_at + timedelta(days=days[category]) if first else None,
        ))
    limit = moment + timedelta(days=horizon_days) - timedelta(days=days[Category.AUDIT])
    audit_due = AuditEntry.objects.filter(school=school, at__lt=limit)
    first_audit = audit_due.order_by("at").first()
    rows.append(Forecast(Category.AUDIT, str(labels[Category.AUDIT]), days[Category.AUDIT],
                         audit_due.count(), 0,
                         first_audit.at + timedelta(days=days[Category.AUDIT])
                         if first_audit else None))
    rows.append(Forecast(Category.ATTACHMENTS, str(labels[Category.ATTACHMENTS]),
                         days[Category.ATTACHMENTS], attachments_due, 0, None))
    rows.append(Forecast(Category.CONSENT, str(labels[Category.CONSENT]), days[Category.CONSENT],
                         0, 0, None, purged_here=False))
    return rows
