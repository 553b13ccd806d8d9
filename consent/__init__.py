"""Consent on record: the purpose codes the rest of the system asks about.

The question itself is ``consent.services.has_consent(pupil, purpose, at=None)``; callers import
it from there (``consent`` sits below ``messaging`` in the layers, so the import is allowed).
This package only names the purposes, so that importing it needs no models.
"""

# Purpose codes the rest of the system asks about (see consent.models.ConsentPurpose.code).
PARTICIPATION = "chat-participation"
PHOTOS_CLASS = "photos-class-group"
PHOTOS_TOGETHER = "photos-with-other-children"
PHOTOS_WEBSITE = "photos-website"
