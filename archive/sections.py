"""What a pupil's subject access export gathers for the DPO to review, section by section.

A pupil's export must hold what was written about the pupil, not only what the pupil wrote:
messages naming them, photos tagging them, consent decisions about them, and (as those apps
come) absences and bookings. Each is a *candidate*: the DPO sees it on the review page and
includes it or leaves it out, with a reason, before the ZIP is made.

The archive imports no other app, so an app holding something written about a pupil registers
a :class:`Section` here from its ``AppConfig.ready`` (the records office registers messages,
photos and consent records, ``records/candidates.py``). A section's ``gather`` answers, for one
pupil record, its candidates in order; the review page and the export read every registered
section through :func:`gather`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Candidate:
    """One thing written about a pupil, as the DPO reviews it and the export holds it."""

    # Unique across sections and stable between the review and the build ("message:12").
    key: str
    at: datetime | None
    # Where it was written: a conversation's name in the active language, "Consent".
    place: str
    # The account that wrote or decided it (named by the reader: the DPO sees names, the
    # export pseudonymises private individuals); None for the school itself.
    actor_id: int | None
    text: str
    # Section-specific facts the export needs (the archive record, a photo's fingerprint).
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Section:
    name: str
    # The section's heading, in the active language.
    label: Callable[[], str]
    gather: Callable[[Any], list[Candidate]]


_sections: dict[str, Section] = {}


def register_section(section: Section) -> None:
    """Add (or replace, by name) a section every pupil's export gathers candidates from."""
    _sections[section.name] = section


def sections() -> list[Section]:
    """The registered sections, in the order they were registered."""
    return list(_sections.values())


def gather(pupil: Any) -> list[tuple[Section, list[Candidate]]]:
    """Every registered section with its candidates about ``pupil`` (a pupil record)."""
    return [(section, section.gather(pupil)) for section in _sections.values()]
