"""Making, revoking and using a school's API tokens.

A token is 32 random bytes (``sc_`` and 43 URL-safe characters). Only its SHA-256 is stored,
with its first 11 characters for people to tell tokens apart; the token itself is returned
once, by :func:`create_token`. Making and revoking are archived in the school's
``integrations`` chain (the payload names the token by its prefix, never the token or its hash).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import School, User
from api.access import may_act_for_api
from api.models import ApiToken, Scope
from archive import chain, scopes

TOKEN_START = "sc_"
PREFIX_LENGTH = len(TOKEN_START) + 8
# The last use is written when the stored one is older than this: a system calling every
# second costs one write a minute, and the page's "last used" is still right to the minute.
TOUCH_EVERY = timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once


def clean_scopes(wanted: Iterable[str]) -> list[str]:
    """The scopes asked for, in the order of :class:`Scope`; ``all`` alone if it is among
    them. Raises ValidationError for none or for one that does not exist."""
    asked = {s.strip() for s in wanted if s.strip()}
    unknown = sorted(asked - set(Scope.values))
    if unknown:
        raise ValidationError(_("There is no scope %(scope)s.") % {"scope": ", ".join(unknown)})
    if not asked:
        raise ValidationError(_("Choose at least one thing the token may do."))
    if Scope.ALL in asked:
        return [Scope.ALL.value]
    return [s for s in Scope.values if s in asked]


def create_token(school: School, *, name: str, scopes_wanted: Iterable[str], acts_as: User,
                 actor: User | None) -> NewToken:
    """A new token of ``school`` acting as ``acts_as``. ``actor`` None is the operator (the
    ``api_token`` command); anyone else must manage the school's tokens."""
    if actor is not None and not can(actor, "api_token.manage", school):
        raise PermissionDenied
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the token a name that says which system uses it."))
    if not may_act_for_api(acts_as, school):
        raise ValidationError(_("A token acts as an active admin, teacher or staff member of "
                                "the school."))
    granted = clean_scopes(scopes_wanted)
    secret = TOKEN_START + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            school=school, name=name[:100], prefix=secret[:PREFIX_LENGTH],
            token_hash=token_hash(secret), scopes=granted, acts_as=acts_as, created_by=actor)
        chain.record("api.token_created", scope=scopes.integrations(school.pk), actor=actor,
                     subjects=[acts_as],
                     payload={"token": token.pk, "name": token.name, "prefix": token.prefix,
                              "scopes": granted, "acts_as": acts_as.pk})
    return NewToken(token, secret)


def revoke_token(token: ApiToken, *, actor: User | None) -> ApiToken:
    """Revoke ``token``: its next call answers 401. Revoking a revoked token changes nothing."""
    if actor is not None and not can(actor, "api_token.manage", token.school):
        raise PermissionDenied
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().select_related("acts_as").get(pk=token.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at, locked.revoked_by = timezone.now(), actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        chain.record("api.token_revoked", scope=scopes.integrations(locked.school_id),
                     actor=actor, subjects=[locked.acts_as],
                     payload={"token": locked.pk, "name": locked.name, "prefix": locked.prefix})
    return locked


def touch(token: ApiToken) -> None:
    """Note that ``token`` was used now (at most once a :data:`TOUCH_EVERY`). Not archived:
    what the call did is archived by the action it called."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
