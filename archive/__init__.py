"""The archive: an append-only, hash-chained record of every change of state.

``archive.record(kind, *, scope, actor, subjects, payload)`` is the one way in. It must be
called inside the transaction that makes the live change, so the two commit or fail together.
``archive.record_many(kind, *, scope, entries)`` appends several records of one kind to one
scope at once, for actions that change many things in one transaction (a batch of messages).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archive.models import Record


@dataclass(frozen=True)
class Entry:
    """One record's actor, subjects and payload, for :func:`record_many`."""

    actor: Any = None
    subjects: Iterable[Any] = ()
    payload: dict[str, Any] | None = field(default=None)


def record(
    kind: str,
    *,
    scope: str,
    actor: Any = None,
    subjects: Iterable[Any] = (),
    payload: dict[str, Any] | None = None,
) -> Record:
    from archive.chain import append

    return append(kind, scope=scope, actor=actor, subjects=subjects, payload=payload)


def record_many(kind: str, *, scope: str, entries: Sequence[Entry]) -> list[Record]:
    """Append one record per entry to the scope's chain, in order, with one write per table."""
    from archive.chain import append_many

    return append_many(kind, scope=scope, entries=entries)
