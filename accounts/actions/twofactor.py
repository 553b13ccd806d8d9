"""The second factor's writes: enrolling, using a time step or a recovery code, a reset.

The checks that write nothing (is this code right, for which time step) are in
:mod:`accounts.twofactor`.
"""

from __future__ import annotations

import secrets

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import RecoveryCode, User
from accounts.twofactor import RECOVERY_CODES, code_hash, totp_step
from archive import chain, scopes


def use_time_step(user: User, step: int) -> bool:
    """Accept a time step once per user: a code seen (or overheard) once cannot log in again,
    even within its window. One UPDATE, so two requests racing with the same code cannot both
    pass."""
    fresh = Q(totp_last_step__isnull=True) | Q(totp_last_step__lt=step)
    used = User.objects.filter(fresh, pk=user.pk).update(totp_last_step=step)
    if used:
        user.totp_last_step = step
    return bool(used)


def enrol_second_factor(user: User, secret: str, step: int | None = None) -> list[str]:
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
            [RecoveryCode(user=user, code_hash=code_hash(code)) for code in codes]
        )
        chain.record("account.2fa_enrolled", scope=scopes.school(user.school_id),
                       actor=user, subjects=[user], payload={"user": user.pk})
    return codes


def verify_second_factor(user: User, code: str) -> bool:
    """A current TOTP code not used before, or an unused recovery code (then used up)."""
    step = totp_step(user.totp_secret, code)
    if step is not None:
        return use_time_step(user, step)
    with transaction.atomic():
        used = RecoveryCode.objects.filter(
            user=user, code_hash=code_hash(code), used_at__isnull=True
        ).update(used_at=timezone.now())
        if used:
            chain.record("account.recovery_code_used", scope=scopes.school(user.school_id),
                           actor=user, subjects=[user], payload={"user": user.pk})
    return bool(used)


def reset_second_factor(user: User, *, actor: User | None) -> None:
    """An admin (or, for the DPO and the safeguarding lead, the operator: no actor) clears a
    lost second factor; the person enrols again at the next login."""
    with transaction.atomic():
        user.totp_secret = ""
        user.totp_confirmed_at = None
        user.totp_last_step = None
        user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
        RecoveryCode.objects.filter(user=user).delete()
        chain.record("admin.2fa_reset", scope=scopes.school(user.school_id), actor=actor,
                       subjects=[user], payload={"user": user.pk})
