"""The archive's scopes: the name of each hash chain, formatted here and nowhere else.

A scope is ``<kind>:<id>``; records of one scope form one chain, locked and appended to on its
own (docs/archive.md). Every caller of ``chain.record(...)`` names its scope with one of
these functions, so that search, retention, export and verification can rely on the format.
Each takes an id (``None`` or 0 where a record belongs to no school, such as an operator's).
"""

from __future__ import annotations

SEAL = "seal"
"""The global chain of seals, one record per seal committing every chain's head."""

CONVERSATION = "conversation"
SAFEGUARDING = "safeguarding"


def school(school_id: int | None) -> str:
    """Changes to a school's accounts, rosters, classes and forms."""
    return f"school:{school_id or 0}"


def conversation(conversation_id: int) -> str:
    """Everything said and done in one conversation (messages, members, attachments)."""
    return f"{CONVERSATION}:{conversation_id}"


def pupil(pupil_id: int) -> str:
    """Consent decisions about one pupil."""
    return f"pupil:{pupil_id}"


def school_class(class_id: int) -> str:
    """Requests sent to one class (consent requests)."""
    return f"class:{class_id}"


def dpo(school_id: int | None) -> str:
    """What the school's data-protection officer did: holds, exports."""
    return f"dpo:{school_id or 0}"


def safeguarding(school_id: int | None) -> str:
    """What a school's safeguarding leads were told and did: reports, flags, looks at
    conversations with their reason, removals, restrictions, reviews, case notes."""
    return f"{SAFEGUARDING}:{school_id or 0}"


def retention(school_id: int | None) -> str:
    """Retention policies and purges of one school."""
    return f"retention:{school_id or 0}"


def absences(school_id: int | None) -> str:
    """Absence reports of a school's pupils, their acknowledgements and the first-day calls."""
    return f"absence:{school_id or 0}"


def meetings(school_id: int | None) -> str:
    """Parents' evening rounds of a school, their slots and bookings."""
    return f"meetings:{school_id or 0}"


def activities(school_id: int | None) -> str:
    """A school's activities and trips, the replies to them and their permission slips."""
    return f"activities:{school_id or 0}"


def polls(school_id: int | None) -> str:
    """A school's polls and the votes in them (an anonymous poll's never say who chose what)."""
    return f"polls:{school_id or 0}"


def integrations(school_id: int | None) -> str:
    """A school's links to its own systems: API tokens made and revoked, single sign-on set."""
    return f"integrations:{school_id or 0}"


def conversation_id(scope: str) -> int | None:
    """The conversation a scope is the chain of, or None for any other scope."""
    prefix, _, rest = scope.partition(":")
    return int(rest) if prefix == CONVERSATION and rest.isdigit() else None
