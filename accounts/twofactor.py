"""TOTP two-factor sign-in for staff, admins and the DPO, with single-use recovery codes.

The second factor is a step of the login flow: after the password is right, the session holds
only a *pending* user id; :func:`django.contrib.auth.login` is called after the code is right.
So nothing (no page, no websocket) sees an authenticated user before both factors passed.

This module holds the pure parts (secrets, URIs, code checks, the pending state in the
session); what writes (enrolling, using a code, a reset) is in :mod:`accounts.actions.twofactor`.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import pyotp
import segno
from django.http import HttpRequest
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User

PENDING = "accounts_2fa_pending"
# Set in a session whose login passed the second factor.
PASSED = "accounts_2fa_passed"
PENDING_SECONDS = 600
MAX_ATTEMPTS = 5
RECOVERY_CODES = 10
ISSUER = "Schoolchat"


def start_pending(request: HttpRequest, user: User, next_url: str) -> None:
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk, "backend": getattr(user, "backend", ""), "next": next_url,
        "since": time.time(), "attempts": 0,
    }


def pending_user(request: HttpRequest) -> tuple[User | None, dict[str, Any]]:
    state = request.session.get(PENDING)
    if not isinstance(state, dict) or time.time() - state.get("since", 0) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None, {}
    user = User.objects.filter(pk=state["user"], is_active=True).first()
    return user, state


def count_failure(request: HttpRequest, state: dict[str, Any]) -> bool:
    """Record a wrong code; True when the attempt budget is spent (the login starts over)."""
    state["attempts"] = state.get("attempts", 0) + 1
    if state["attempts"] >= MAX_ATTEMPTS:
        request.session.pop(PENDING, None)
        return True
    request.session[PENDING] = state
    return False


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def grouped(secret: str) -> str:
    """The key in groups of four, as it is typed on a phone's keyboard."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def qr_svg(uri: str, title: str) -> SafeString:
    """The setup link as a QR code: an inline ``<svg>`` element made here, so no image leaves
    the server and the page needs no script. Dark on white whatever the page's colours, with
    the quiet zone the scanners need."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, border=4, dark="#000", light="#fff", svgclass="qr", title=title)
    # Safe: segno writes only path data for the link and escapes the title.
    return mark_safe(svg)  # noqa: S308


def _clean(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def code_hash(code: str) -> str:
    """How a recovery code is stored: spaces, dashes and case do not matter."""
    return hashlib.sha256(_clean(code).encode()).hexdigest()


def totp_step(secret: str, code: str) -> int | None:
    """The time step (30-second window) whose code this is, allowing one step of clock drift
    either way; None for a wrong code."""
    code = _clean(code)
    if not secret or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(timezone.now())
    for step in (now, now - 1, now + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def totp_ok(secret: str, code: str) -> bool:
    return totp_step(secret, code) is not None
