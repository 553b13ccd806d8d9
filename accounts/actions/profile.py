"""What a person sets for themself: the language of their pages and mails."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from accounts.models import User
from archive import chain, scopes


def is_language(code: str) -> bool:
    return code in dict(settings.LANGUAGES)


def set_language(user: User, language: str) -> bool:
    """Keep ``language`` as the person's own (``account.language_set``): every page they open
    signed in and every mail sent to them is written in it. Returns whether it changed."""
    if not is_language(language):
        raise ValueError(f"not a language of this installation: {language!r}")
    if user.language == language:
        return False
    with transaction.atomic():
        user.language = language
        user.save(update_fields=["language"])
        chain.record("account.language_set", scope=scopes.school(user.school_id), actor=user,
                       subjects=[user], payload={"user": user.pk, "language": language})
    return True
