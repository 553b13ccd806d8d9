"""Consent on record. ``consent.has_consent(pupil, purpose, at=None)`` is the one question."""

from __future__ import annotations

from datetime import datetime
from typing import Any

# Purpose codes the rest of the system asks about (see consent.models.ConsentPurpose.code).
PARTICIPATION = "chat-participation"
PHOTOS_CLASS = "photos-class-group"
PHOTOS_TOGETHER = "photos-with-other-children"
PHOTOS_WEBSITE = "photos-website"


def has_consent(pupil: Any, purpose: str, at: datetime | None = None) -> bool:
    from consent.services import has_consent as _has_consent

    return _has_consent(pupil, purpose, at=at)
