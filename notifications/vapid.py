"""The server's VAPID key pair (RFC 8292), which identifies it to the browsers' push services.

The private key comes from ``SCHOOLCHAT_VAPID_PRIVATE_KEY`` (the PEM itself) or else the file
``SCHOOLCHAT_VAPID_PRIVATE_KEY_FILE``, made once by ``manage.py vapid_keys``. Browsers bind a
subscription to the public key, so a new key pair silently ends every subscription: the key is
created when missing and never replaced by the setup steps.
"""

from __future__ import annotations

import base64
import os
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from py_vapid import Vapid02


def create_key_file(path: Path) -> bool:
    """Write a new private key to ``path`` (owner-only); False if the file already exists."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Vapid02()
    key.generate_keys()
    pem = key.private_pem()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return True


@cache
def server_key() -> Vapid02:
    pem = settings.SCHOOLCHAT_VAPID_PRIVATE_KEY
    if pem:
        return Vapid02.from_pem(pem.replace("\\n", "\n").encode())
    path = Path(settings.SCHOOLCHAT_VAPID_PRIVATE_KEY_FILE)
    if not path.exists():
        raise ImproperlyConfigured(
            f"No VAPID key: run `manage.py vapid_keys` to create {path}, or set "
            "SCHOOLCHAT_VAPID_PRIVATE_KEY")
    return Vapid02.from_pem(path.read_bytes())


def configured() -> bool:
    try:
        server_key()
    except ImproperlyConfigured:
        return False
    return True


def public_key() -> str:
    """The application server key a browser subscribes with (base64url, uncompressed point)."""
    raw = server_key().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
