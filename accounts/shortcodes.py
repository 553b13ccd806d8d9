"""Short codes for printed invitation letters: what a parent types at ``/join/`` instead of
scanning or copying the link.

Eight characters from an alphabet without the letters and digits people misread on paper
(no 0/O, 1/I/L), shown in two groups (``ABCD-EFGH``); typed in any case, with or without the
dash and spaces. 31^8 (about 8.5 * 10^11) codes, typed at a throttled page
(:mod:`accounts.ratelimit`, per client address) and valid only as long as their invitation.

Stored as an HMAC keyed by the installation's secret key, not as a plain hash: a short code
is too short for a plain hash to hide it from someone holding a copy of the database.
"""

from __future__ import annotations

import secrets

from django.utils.crypto import salted_hmac

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8
GROUP = 4
_SALT = "accounts.shortcodes.invitation"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def grouped(code: str) -> str:
    return "-".join(code[i:i + GROUP] for i in range(0, len(code), GROUP))


def normalise(typed: str) -> str | None:
    """The code as stored, or None when the text cannot be a code (wrong length or a
    character that never appears in one)."""
    code = "".join(typed.split()).replace("-", "").upper()
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def code_hash(code: str) -> str:
    return salted_hmac(_SALT, code, algorithm="sha256").hexdigest()
