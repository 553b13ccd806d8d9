"""The archive: an append-only, hash-chained record of every change of state.

``archive.record(kind, *, scope, actor, subjects, payload)`` is the one way in. It must be
called inside the transaction that makes the live change, so the two commit or fail together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from archive.models import Record


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
