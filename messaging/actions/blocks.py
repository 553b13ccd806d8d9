"""Blocking: a person stops another's one-to-one messages to them (never staff's)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import User
from archive import chain, scopes
from messaging.models import Block


def block(user: User, other: User) -> Block:
    """From now on ``other``'s sends to ``user`` in one-to-ones are refused ("This person does
    not accept your messages") and ``other`` cannot start one with ``user``. Idempotent."""
    if not can(user, "person.block", other):
        raise PermissionDenied(_("You cannot block this person."))
    with transaction.atomic():
        found, created = Block.objects.get_or_create(blocker=user, blocked=other)
        if created:
            chain.record("person.blocked", scope=scopes.school(user.school_id), actor=user,
                           subjects=[user, other], payload={"blocked": other.pk})
    return found


def unblock(user: User, other: User) -> None:
    """Accept ``other``'s one-to-one messages again. Idempotent."""
    if not can(user, "person.block", other):
        raise PermissionDenied(_("You cannot block this person."))
    with transaction.atomic():
        deleted, _rows = Block.objects.filter(blocker=user, blocked=other).delete()
        if deleted:
            chain.record("person.unblocked", scope=scopes.school(user.school_id), actor=user,
                           subjects=[user, other], payload={"blocked": other.pk})
