"""Ending a person's sessions so that their next sign-in goes through the current rules."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from accounts import sessions
from accounts.models import User
from archive import chain, scopes


def require_fresh_login(users: Iterable[User], *, actor: User | None = None, reason: str) -> int:
    """End the sessions and sockets of these users so that their next login goes through the
    current rules (used when two-factor sign-in becomes required for them). Their sockets
    close through :data:`accounts.sessions.sessions_ended`, sent after the commit."""
    users = list(users)
    if not users:
        return 0
    with transaction.atomic():
        ended = sessions.delete_sessions({u.pk for u in users})
        for user in users:
            chain.record("account.sessions_ended", scope=scopes.school(user.school_id), actor=actor,
                           subjects=[user], payload={"user": user.pk, "reason": reason})
            sessions.announce(user.pk, reason=reason)
    return ended
