"""One record to append, for ``archive.chain.record_many`` (no models)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Entry:
    """One record's actor, subjects and payload, for :func:`archive.chain.record_many`."""

    actor: Any = None
    subjects: Iterable[Any] = ()
    payload: dict[str, Any] | None = field(default=None)
