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
- The archive imports no other app: the app that owns a category's live rows registers a
  :class:`Purger` for it (:func:`register_purger`, from its ``AppConfig.ready``; messaging's is
  ``messaging/retention.py``). The purger says which rows are expired and which of them a hold
  keeps, and deletes the live rows of a batch; the archive chooses the batches, appends the
  purge record and deletes the payloads, all in the batch's transaction.
- The audit log expires by the same rule (``audit`` category). Consent records are reported,
  not purged here (their rows belong to the consent app).
- Every function takes ``now`` so that tests and the report can move the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeAlias

from django.apps import apps
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from archive import chain, scopes
from archive.models import (
    DEFAULT_RETENTION_DAYS,
    PURGE_KIND,
    SCHOOL_MODEL,
    AuditEntry,
    Category,
    RetentionPolicy,
)

# A school, as retention sees one: an instance of the model that ``SCHOOL_MODEL`` names (the
# archive's foreign keys name it by string too, so that the archive imports no other app; the
# purgers that messaging registers type it as ``accounts.models.School``).
School: TypeAlias = Any


def schools() -> QuerySet[Any]:
    """Every school, in a stable order: retention runs on each under its own policy."""
    return apps.get_model(SCHOOL_MODEL).objects.order_by("pk")


def retention_days(school: Any) -> dict[str, int]:
    """The school's policy for every category, the defaults filling any gap."""
    days = dict(DEFAULT_RETENTION_DAYS)
    days.update(RetentionPolicy.objects.filter(school=school).values_list("category", "days"))
    return days

BATCH_SIZE = 2000


@dataclass(frozen=True)
class Expired:
    """A category's rows past their policy: those retention may purge now (``free``, ordered by
    primary key) and those a legal hold keeps (``held``). Each row's records carry its primary
    key as ``Record.message_id``."""

    free: QuerySet[Any]
    held: QuerySet[Any]


class Purger(Protocol):
    """What retention must purge for one category, registered by the app owning its rows.

    A purger may name ``record_prefix`` (default ``"message."``): the kinds of the records about
    its rows (``archive.chain.register_row_key``), whose payloads go with the rows."""

    def expired(self, school: School, cutoff: datetime, attachment_cutoff: datetime | None,
                now: datetime) -> Expired:
        """Rows older than ``cutoff`` (or, carrying attachments, than ``attachment_cutoff``);
        legal holds read as of ``now``, inside the caller's transaction."""
        ...

    def first_due(self, free: QuerySet[Any]) -> datetime | None:
        """When the oldest of ``free`` was created."""
        ...

    def attachments(self, free: QuerySet[Any]) -> int:
        """How many attachments go with ``free``."""
        ...

    def delete(self, ids: list[int]) -> int:
        """Delete these rows and all that exists only for them, in the caller's transaction, with
        a statement per table (not per row); return how many rows were deleted."""
        ...


def _records_by_row(purger: Purger) -> bool:
    """Whether the archive's records of the purger's rows carry the row's id as
    ``Record.message_id`` (messages do), so that their payloads go with the row. A purger of
    other rows says ``records_by_row = False``: looking up its ids there would find messages
    with the same ids and purge their payloads."""
    return bool(getattr(purger, "records_by_row", True))


_purgers: dict[str, Purger] = {}


def register_purger(category: str, purger: Purger) -> None:
    """Register what retention purges for ``category`` (one purger per category)."""
    _purgers[category] = purger


def purged_categories() -> list[str]:
    """The categories with a registered purger, in the order of ``Category``."""
    return [c for c in Category.values if c in _purgers]


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


def one_of(vendor: str) -> str:
    """SQL for "is one of the ids in this one parameter": the ids travel as one array (one JSON
    text on SQLite), not as thousands of placeholders. Purgers use it too."""
    if vendor == "postgresql":
        return "= ANY(%s::bigint[])"
    return "IN (SELECT value FROM json_each(%s))"


def ids_param(vendor: str, ids: list[int]) -> str:
    """The ids as one text parameter: an array literal on PostgreSQL, JSON on SQLite (joined
    here once per batch: the driver's own array dumper costs a Python call per element, per
    statement)."""
    joined = ",".join(map(str, ids))
    return f"{{{joined}}}" if vendor == "postgresql" else f"[{joined}]"


def _choose_batch(free: QuerySet[Any], last_pk: int, batch_size: int,
                  prefix: str = "message.",
                  with_records: bool = True) -> tuple[list[int], list[int]]:
    """The next batch (keyset pagination: it starts where the last one ended): its message ids
    and the ids of their records that still have a payload, both ascending, in one query (the
    row ids alone where the archive's records do not carry them, ``with_records=False``)."""
    if not with_records:
        ids = list(free.filter(pk__gt=last_pk).order_by("pk")
                   .values_list("pk", flat=True)[:batch_size])
        return ids, []
    inner, params = (free.filter(pk__gt=last_pk).values(batch_id=models.F("pk"))[:batch_size]
                     .query.sql_with_params())
    message_ids: list[int] = []
    record_ids: list[int] = []
    connection = transaction.get_connection()
    # Only the records of the purger's kinds: another table's row may have the same id.
    records = ("SELECT r.id FROM archive_record r WHERE r.message_id = b.batch_id "
               "AND r.kind LIKE %s "
               "AND EXISTS (SELECT 1 FROM archive_payload p WHERE p.record_id = r.id)")
    # A lateral join on PostgreSQL: a plain join is planned as a hash join over every record
    # and payload of the archive, per batch. SQLite loops over the batch either way.
    join = (f"LEFT JOIN LATERAL ({records}) r ON true" if connection.vendor == "postgresql"
            else "LEFT JOIN archive_record r ON r.message_id = b.batch_id AND r.kind LIKE %s "
                 "AND EXISTS (SELECT 1 FROM archive_payload p WHERE p.record_id = r.id)")
    with connection.cursor() as cursor:
        # Uses index: archive_record_message.
        cursor.execute(
            f"SELECT b.batch_id, r.id FROM ({inner}) b {join} "  # noqa: S608 (the ORM's own SQL)
            "ORDER BY b.batch_id, r.id", [*params, prefix + "%"])
        for message_id, record_id in cursor.fetchall():
            if not message_ids or message_ids[-1] != message_id:
                message_ids.append(message_id)
            if record_id is not None:
                record_ids.append(record_id)
    record_ids.sort()
    return message_ids, record_ids


def _batch(purger: Purger, free: QuerySet[Any], last_pk: int,
           batch_size: int) -> tuple[list[int], list[int]]:
    """The next batch of ``free`` and its records with a payload. A message's records carry its
    id (``Record.message_id``); the rows of other apps (bookings, replies) are not messages,
    so their purger names their records itself (``records(ids)``), and the message join,
    which would match messages with the same ids, is not asked."""
    find = getattr(purger, "records", None)
    if find is None:
        # Records that name their row by kind (``record_prefix``, polls), or none at all
        # (``records_by_row = False``: the row goes, its records stay whole).
        return _choose_batch(free, last_pk, batch_size,
                             getattr(purger, "record_prefix", "message."), _records_by_row(purger))
    ids = list(free.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:batch_size])
    return ids, sorted(find(ids)) if ids else []


def _purge_batch(purger: Purger, school: School, category: str, days: int, cutoff: datetime,
                 message_ids: list[int], record_ids: list[int], now: datetime,
                 attachment_days: int | None = None) -> int:
    """One batch, inside the caller's transaction: the purge record, one purge entry per
    payload, the payloads, the live messages. Set-based: a statement per table, whatever the
    batch size; the ids go to the database as one parameter each."""
    purge = chain.record(
        PURGE_KIND, scope=scopes.retention(school.pk),
        payload={"category": category, "policy_days": days, "cutoff": cutoff.isoformat(),
                 "attachments_policy_days": attachment_days, "run_at": now.isoformat(),
                 "messages": message_ids, "records": record_ids},
    )
    if record_ids:
        connection = transaction.get_connection()
        vendor = connection.vendor
        param = ids_param(vendor, record_ids)
        with connection.cursor() as cursor:
            if vendor == "postgresql":
                cursor.execute("INSERT INTO archive_purgedpayload (record_id, purge_record_id) "
                               "SELECT unnest(%s::bigint[]), %s", [param, purge.pk])
            else:
                cursor.execute("INSERT INTO archive_purgedpayload (record_id, purge_record_id) "
                               "SELECT value, %s FROM json_each(%s)", [purge.pk, param])
            # The database's trigger refuses this unless every payload has its purge entry.
            cursor.execute(f"DELETE FROM archive_payload WHERE record_id {one_of(vendor)}",  # noqa: S608
                           [param])
    purger.delete(message_ids)
    return purge.pk


def _purge_messages(school: School, category: str, days: int, now: datetime, *,
                    dry_run: bool, batch_size: int, attachment_days: int | None = None) -> Outcome:
    cutoff = now - timedelta(days=days)
    attachment_cutoff = now - timedelta(days=attachment_days) if attachment_days else None
    outcome = Outcome(school.pk, category, days, cutoff)
    purger = _purgers[category]
    last_pk = 0
    while True:
        with transaction.atomic():
            expired = purger.expired(school, cutoff, attachment_cutoff, now)
            if dry_run:
                outcome.messages = expired.free.count()
                outcome.held = expired.held.count()
                return outcome
            ids, record_ids = _batch(purger, expired.free, last_pk, batch_size)
            if not ids:
                outcome.held = expired.held.count()
                return outcome
            last_pk = ids[-1]
            purge_id = _purge_batch(purger, school, category, days, cutoff, ids, record_ids, now,
                                    attachment_days)
        outcome.messages += len(ids)
        outcome.payloads += len(record_ids)
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
            purge = chain.record(
                PURGE_KIND, scope=scopes.retention(school.pk),
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
                    only: Iterable[School] | None = None) -> list[Outcome]:
    """Purge everything past its school's retention period and not under legal hold."""
    moment = now or timezone.now()
    outcomes: list[Outcome] = []
    for school in only if only is not None else schools():
        days = retention_days(school)
        for category in purged_categories():
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
    labels = dict(Category.choices)
    rows: list[Forecast] = []
    horizon = moment + timedelta(days=horizon_days)
    attachment_limit = horizon - timedelta(days=days[Category.ATTACHMENTS])
    attachments_due = 0
    for category in purged_categories():
        limit = horizon - timedelta(days=days[category])
        due = _purgers[category].expired(school, limit, attachment_limit, moment)
        attachments_due += _purgers[category].attachments(due.free)
        first = _purgers[category].first_due(due.free)
        rows.append(Forecast(
            category, str(labels[category]), days[category], due.free.count(), due.held.count(),
            first + timedelta(days=days[category]) if first else None,
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
    rows.append(Forecast(Category.LEAVERS, str(labels[Category.LEAVERS]), days[Category.LEAVERS],
                         0, 0, None, purged_here=False))
    return rows
