"""The client secret at rest: encrypted with a key derived from the installation's SECRET_KEY.

A database dump or backup alone does not give away the school's client secret. A key rotated
without keeping the old one in ``SECRET_KEY_FALLBACKS`` makes the stored secret unreadable:
the sign-in then says so, and the school admin types the secret again (it is never shown).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

INFO = b"schoolchat sso client secret"


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(
        secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _box() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(str(key)) for key in keys])


def seal(secret: str) -> str:
    return _box().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str | None:
    """The secret, or None when no key of this installation opens it."""
    try:
        return _box().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None
