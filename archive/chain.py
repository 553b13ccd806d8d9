"""Appending to a scope's hash chain, sealing every chain's head, and verifying it all.

``record(kind, *, scope, actor, subjects, payload)`` is the one way in, for every app: it must be
called inside the transaction that makes the live change, so the two commit or fail together.
``record_many(kind, *, scope, entries)`` appends several records of one kind to one scope at
once, for actions that change many things in one transaction (a batch of messages). Scopes are
named by ``archive.scopes``. Callers import this module (``from archive import chain``); the
``archive`` package itself holds no code, because Django imports it before any model exists.

Each record's hash commits to its metadata, the hash of its payload and the previous record's
hash in the same scope. Payloads can later be deleted by retention without breaking the chain,
because the chain holds only the payload's hash. A seal is a record in the global ``seal`` chain
whose payload lists every chain's (length, head hash) at that moment; once sealed, a chain cannot
lose its tail or be rewritten without the seal disagreeing.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from archive import scopes
from archive.entry import Entry
from archive.folding import fold
from archive.models import PUPIL_MODEL, SEAL_KIND, Chain, Payload, Record, Subject

SEAL_SCOPE = scopes.SEAL

GENESIS = "0" * 64

# Every payload written carries this key: 16 random bytes, hex. A record's hash commits to its
# payload's hash, and many payloads are guessable (a report: one of the school's people, one of
# five reasons, an empty note); salted, the hash of a record tells nothing about its payload.
# Payloads written before the salt have none and verify as they always did.
SALT_KEY = "salt"
SALT_BYTES = 16

# The live row a record is about, for retention (``Record.message_id``): a record whose kind
# starts with the prefix carries the row's id under the key. Messages are built in; an app whose
# rows retention purges (polls, activities) registers its own prefix, and its purger names the
# same prefix (``archive.retention.Purger.record_prefix``), so ids of two tables never meet.
ROW_KEYS: dict[str, str] = {"message.": "message"}


def register_row_key(prefix: str, key: str) -> None:
    """Records of kinds starting with ``prefix`` are about the row whose id is ``payload[key]``."""
    if not prefix.endswith(".") or any(prefix.startswith(p) or p.startswith(prefix)
                                       for p in ROW_KEYS if p != prefix):
        raise ValueError(f"{prefix!r}: a kind prefix ending in '.' that overlaps no other")
    ROW_KEYS[prefix] = key


def _row_of(kind: str, content: dict[str, Any]) -> int | None:
    for prefix, key in ROW_KEYS.items():
        if kind.startswith(prefix):
            value = content.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None
    return None


def canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode()


def payload_digest(payload: Any) -> str:
    return hashlib.sha256(canonical(payload)).hexdigest()


def _digest(scope: str, position: int, kind: str, created_at: datetime, actor_id: int | None,
            users: list[int], pupils: list[int], message_id: int | None, payload_hash: str,
            prev_hash: str) -> str:
    body = {
        "scope": scope,
        "position": position,
        "kind": kind,
        "created_at": created_at.isoformat(),
        "actor": actor_id,
        "users": users,
        "pupils": pupils,
        "message": message_id,
        "payload_hash": payload_hash,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical(body)).hexdigest()


def folded_body(content: dict[str, Any]) -> str:
    """What the DPO's search matches in a payload: its "body" (a message's text), folded."""
    body = content.get("body")
    return fold(body) if isinstance(body, str) else ""


def record_digest(rec: Record) -> str:
    return _digest(rec.scope, rec.position, rec.kind, rec.created_at, rec.actor_id,
                   rec.subject_user_ids, rec.subject_pupil_ids, rec.message_id,
                   rec.payload_hash, rec.prev_hash)


def _split_subjects(subjects: Iterable[Any]) -> tuple[list[int], list[int]]:
    """Users and pupils, told apart by their model (the archive imports no other app)."""
    users: set[int] = set()
    pupils: set[int] = set()
    for subject in subjects:
        label = getattr(getattr(subject, "_meta", None), "label", None)
        if label == settings.AUTH_USER_MODEL:
            users.add(subject.pk)
        elif label == PUPIL_MODEL:
            pupils.add(subject.pk)
        else:
            raise TypeError(f"an archive subject must be a User or a Pupil, not {subject!r}")
    return sorted(users), sorted(pupils)


def _lock_head(scope: str) -> tuple[int, str]:
    """Create the scope's chain row if needed, lock it, and read its head: one statement.

    The upsert takes the row lock (PostgreSQL) that serialises this scope's writers until the
    transaction ends; two first writers to a new scope do not abort each other.
    """
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(
            "INSERT INTO archive_chain (scope, length, head_hash) VALUES (%s, 0, %s) "
            "ON CONFLICT (scope) DO UPDATE SET scope = EXCLUDED.scope "
            "RETURNING length, head_hash",
            [scope, GENESIS],
        )
        length, head = cursor.fetchone()
    return int(length), str(head)


def record(
    kind: str,
    *,
    scope: str,
    actor: Any = None,
    subjects: Iterable[Any] = (),
    payload: dict[str, Any] | None = None,
) -> Record:
    return record_many(kind, scope=scope,
                       entries=[Entry(actor=actor, subjects=subjects, payload=payload)])[0]


def record_many(kind: str, *, scope: str, entries: Sequence[Entry]) -> list[Record]:
    """Chain one record per entry onto the scope's head, in order.

    One lock of the chain row and one INSERT per table whatever the number of entries: a batch
    of messages costs the archive about as much as one message.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("chain.record() must run inside the transaction of the change")
    if not entries:
        return []
    length, head = _lock_head(scope)
    conversation_id = scopes.conversation_id(scope)
    now = timezone.now()
    records: list[Record] = []
    contents: list[dict[str, Any]] = []
    # One read of the system's random source for the whole batch, cut into a salt per record.
    salts = secrets.token_hex(SALT_BYTES * len(entries))
    for index, entry in enumerate(entries):
        salt = salts[index * 2 * SALT_BYTES:(index + 1) * 2 * SALT_BYTES]
        content = {**(entry.payload or {}), SALT_KEY: salt}
        users, pupils = _split_subjects(entry.subjects)
        message = _row_of(kind, content)
        length += 1
        rec = Record(
            scope=scope,
            position=length,
            kind=kind,
            created_at=now,
            actor_id=getattr(entry.actor, "pk", None),
            subject_user_ids=users,
            subject_pupil_ids=pupils,
            conversation_id=conversation_id,
            message_id=message,
            payload_hash=payload_digest(content),
            prev_hash=head,
        )
        rec.hash = head = record_digest(rec)
        records.append(rec)
        contents.append(content)
    Record.objects.bulk_create(records)
    Payload.objects.bulk_create(
        [Payload(record=rec, content=content, folded=folded_body(content))
         for rec, content in zip(records, contents, strict=True)]
    )
    Subject.objects.bulk_create(
        [Subject(record=rec, user_id=u) for rec in records for u in rec.subject_user_ids]
        + [Subject(record=rec, pupil_id=p) for rec in records for p in rec.subject_pupil_ids]
    )
    Chain.objects.filter(scope=scope).update(length=length, head_hash=head)
    return records


def heads(exclude_seal: bool = True) -> dict[str, list[Any]]:
    rows = Chain.objects.order_by("scope").values_list("scope", "length", "head_hash")
    return {scope: [length, head] for scope, length, head in rows
            if not (exclude_seal and scope == SEAL_SCOPE)}


def seal(actor: Any = None) -> Record:
    """Append a seal committing the current head of every chain."""
    with transaction.atomic():
        return record(SEAL_KIND, scope=SEAL_SCOPE, actor=actor, payload={"heads": heads()})


# --- Verification --------------------------------------------------------------------------

@dataclass
class Problem:
    record_id: int | None
    scope: str
    position: int | None
    reason: str

    def __str__(self) -> str:
        who = f"record {self.record_id}" if self.record_id is not None else "chain"
        where = f"{self.scope}" + (f" #{self.position}" if self.position is not None else "")
        return f"{who} ({where}): {self.reason}"


@dataclass
class Report:
    records: int = 0
    chains: int = 0
    seals: int = 0
    payloads_checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


COLUMNS = ("id", "scope", "position", "kind", "created_at", "actor_id", "subject_user_ids",
           "subject_pupil_ids", "message_id", "payload_hash", "prev_hash", "hash",
           "payload__content", "purge__record_id")


def _rows(chunk_size: int, scopes: Q | None) -> Iterator[tuple[Any, ...]]:
    # Streamed (a server-side cursor on PostgreSQL): memory stays flat for millions of rows.
    # Uses index: archive_record_scope_position.
    rows = Record.objects.all()
    if scopes is not None:
        rows = rows.filter(scopes | Q(scope=SEAL_SCOPE))
    return rows.order_by("scope", "position").values_list(*COLUMNS).iterator(
        chunk_size=chunk_size)


def verify(chunk_size: int = 2000, stop_at_first: bool = True,
           scopes: Q | None = None) -> Report:
    """Recompute every chain and every seal. Problems name the first bad record of a chain.

    ``scopes`` (a filter on ``scope``) limits the check to some chains, e.g. one school's
    (:func:`records.search.school_scopes`): those chains and the seal chain are recomputed, and
    the seals' commitments to those chains checked; records and chains count only those chains.
    """
    report = Report()
    chains = Chain.objects.all() if scopes is None else Chain.objects.filter(scopes)
    # What the seals say each chain held: (scope, position) -> hash. Read first, small.
    committed: dict[tuple[str, int], tuple[str, int]] = {}
    for rec_id, content in (
        Record.objects.filter(scope=SEAL_SCOPE).order_by("position")
        .values_list("id", "payload__content").iterator(chunk_size=chunk_size)
    ):
        if isinstance(content, dict):
            for sealed_scope, (length, head) in content.get("heads", {}).items():
                committed[(sealed_scope, int(length))] = (head, rec_id)
    expected_length = dict(chains.values_list("scope", "length"))
    expected_head = dict(chains.values_list("scope", "head_hash"))
    if scopes is not None:
        committed = {k: v for k, v in committed.items() if k[0] in expected_length}

    def fail(problem: Problem) -> bool:
        report.problems.append(problem)
        return stop_at_first

    scope: str | None = None
    prev = GENESIS
    position = 0
    broken = False
    seen_hashes: dict[tuple[str, int], str] = {}

    seen_scopes: set[str] = set()

    def close(scope_name: str, length: int, head: str) -> bool:
        if scope_name != SEAL_SCOPE or scopes is None:
            report.chains += 1
        seen_scopes.add(scope_name)
        want = expected_length.get(scope_name)
        if want is not None and (want != length or expected_head.get(scope_name) != head):
            return fail(Problem(None, scope_name, length + 1,
                                f"chain head says {want} records, found {length}"))
        return False

    for row in _rows(chunk_size, scopes):
        (rec_id, rscope, rpos, kind, created_at, actor_id, users, pupils, message_id,
         payload_hash, prev_hash, rhash, content, purged_by) = row
        if rscope != scope:
            if scope is not None and not broken and close(scope, position, prev):
                return report
            scope, prev, position, broken = rscope, GENESIS, 0, False
        if rscope != SEAL_SCOPE or scopes is None:
            report.records += 1
        if broken:
            continue
        reason = None
        if rpos != position + 1:
            reason = f"expected position {position + 1}, found {rpos} (a record is missing)"
        elif prev_hash != prev:
            reason = "previous-hash link broken (records removed or reordered)"
        elif _digest(rscope, rpos, kind, created_at, actor_id, users, pupils, message_id,
                     payload_hash, prev_hash) != rhash:
            reason = "record hash does not match its contents"
        elif content is not None and payload_digest(content) != payload_hash:
            reason = "payload does not match its hash"
        elif content is None and purged_by is None:
            reason = "payload missing without a purge record"
        if reason is not None:
            broken = True
            if fail(Problem(rec_id, rscope, rpos, reason)):
                return report
            continue
        if content is not None:
            report.payloads_checked += 1
        if (rscope, rpos) in committed:
            seen_hashes[(rscope, rpos)] = rhash
        if kind == SEAL_KIND:
            report.seals += 1
        prev, position = rhash, rpos
    if scope is not None and not broken and close(scope, position, prev):
        return report
    for lost in sorted(set(expected_length) - seen_scopes):
        if expected_length[lost] and not broken and fail(
            Problem(None, lost, 1, f"chain head says {expected_length[lost]} records, found 0")
        ):
            return report
    for (cscope, cpos), (head, seal_id) in committed.items():
        if seen_hashes.get((cscope, cpos)) != head and fail(
            Problem(seal_id, SEAL_SCOPE, None, f"seal commits {cscope} #{cpos}, which no longer matches")
        ):
            return report
    return report
