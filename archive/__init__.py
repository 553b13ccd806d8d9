"""The archive: an append-only, hash-chained record of every change of state.

``archive.record(kind, *, scope, actor, subjects, payload)`` is the one way in. It must be
called inside the transaction that makes the live change, so the two commit or fail together.
``archive.record_many(kind, *, scope, entries)`` appends several records of one kind to one
scope at once, for actions that change many things in one transaction (a batch of messages).
Scopes are named by ``archive.scopes``.

Django imports this package before any model can be defined, so it cannot import the chain
(``archive.chain`` uses the models): ``ArchiveConfig.ready`` hands the chain module to
:func:`install`, and every app records through it from then on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from archive.entry import Entry

if TYPE_CHECKING:
    from archive.models import Record

__all__ = ["Entry", "install", "record", "record_many"]

class Writer(Protocol):
    """What appends to the chains: the module ``archive.chain``."""

    def append_many(self, kind: str, *, scope: str, entries: Sequence[Entry]) -> list[Record]: ...


_writer: Writer | None = None


def install(writer: Writer) -> None:
    """Set what appends to the chains (``archive.chain``); called once, by ``ArchiveConfig.ready``."""
    global _writer
    _writer = writer


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
    """Append one record per entry to the scope's chain, in order, with one write per table."""
    if _writer is None:
        raise RuntimeError("the archive app is not ready: nothing can be recorded yet")
    return _writer.append_many(kind, scope=scope, entries=entries)
