"""TOTP two-factor sign-in for staff, admins and the DPO, with single-use recovery codes.

The second factor is a step of the login flow: after the password is right, the session holds
only a *pending* user id; :func:`django.contrib.auth.login` is called after the code is right.
So nothing (no page, no websocket) sees an authenticated user before both factors passed.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import pyotp
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

import archive
from accounts.models import RecoveryCode, User
from archive import scopes

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


def _clean(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _hash(code: str) -> str:
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


def _use_step(user: User, step: int) -> bool:
    """Accept a time step once per user: a code seen (or overheard) once cannot log in again,
    even within its window. One UPDATE, so two requests racing with the same code cannot both
    pass."""
    fresh = Q(totp_last_step__isnull=True) | Q(totp_last_step__lt=step)
    used = User.objects.filter(fresh, pk=user.pk).update(totp_last_step=step)
    if used:
        user.totp_last_step = step
    return bool(used)


def enrol(user: User, secret: str, step: int | None = None) -> list[str]:
    """Store the confirmed secret and return fresh recovery codes (shown once). ``step`` is the
    time step of the code that confirmed it, which is then used up like any other."""
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    with transaction.atomic():
        user.totp_secret = secret
        user.totp_confirmed_at = timezone.now()
        user.totp_last_step = step
        user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            [RecoveryCode(user=user, code_hash=_hash(code)) for code in codes]
        )
        archive.record("account.2fa_enrolled", scope=scopes.school(user.school_id),
                       actor=user, subjects=[user], payload={"user": user.pk})
    return codes


def verify(user: User, code: str) -> bool:
    """A current TOTP code not used before, or an unused recovery code (then used up)."""
    step = totp_step(user.totp_secret, code)
    if step is not None:
        return _use_step(user, step)
    with transaction.atomic():
        used = RecoveryCode.objects.filter(
            user=user, code_hash=_hash(code), used_at__isnull=True
        ).update(used_at=timezone.now())
        if used:
            archive.record("account.recovery_code_used", scope=scopes.school(user.school_id),
                           actor=user, subjects=[user], payload={"user": user.pk})
    return bool(used)


def reset(user: User, *, actor: Any) -> None:
    """An admin clears a lost second factor; the person enrols again at the next login."""
    with transaction.atomic():
        user.totp_secret = ""
        user.totp_confirmed_at = None
        user.totp_last_step = None
        user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
        RecoveryCode.objects.filter(user=user).delete()
        archive.record("admin.2fa_reset", scope=scopes.school(user.school_id), actor=actor,
                       subjects=[user], payload={"user": user.pk})
