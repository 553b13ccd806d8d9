"""Consent on record. ``consent.has_consent(pupil, purpose, at=None)`` is the one question.

Django imports this package before any model can be defined, so it cannot import
``consent.services`` (which reads the records): ``ConsentConfig.ready`` hands the answer to
:func:`install`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

# Purpose codes the rest of the system asks about (see consent.models.ConsentPurpose.code).
PARTICIPATION = "chat-participation"
PHOTOS_CLASS = "photos-class-group"
PHOTOS_TOGETHER = "photos-with-other-children"
PHOTOS_WEBSITE = "photos-website"

Answer = Callable[..., bool]
_answer: Answer | None = None


def install(answer: Answer) -> None:
    """Set what answers :func:`has_consent` (``consent.services.has_consent``); once, by ``ready``."""
    global _answer
    _answer = answer


def has_consent(pupil: Any, purpose: str, at: datetime | None = None) -> bool:
    if _answer is None:
        raise RuntimeError("the consent app is not ready: consent cannot be asked yet")
    return _answer(pupil, purpose, at=at)
