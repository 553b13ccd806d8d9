"""What changes in single sign-on: the school's provider set or removed, and each sign-in.

Every change is checked (``sso.configure``; the operator on the command line passes
``by=None``), written and archived in the school's integrations chain
(:func:`archive.scopes.integrations`) in one transaction. The record names the issuer, the
client ID and the choices, never the secret: only whether it changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import School, User
from archive import chain, scopes
from sso import secret_box
from sso.models import Match, SsoProvider


@dataclass(frozen=True)
class Settings:
    """What the admin's form or the operator's command gives; ``client_secret`` blank keeps
    the stored one."""

    name: str
    issuer: str
    client_id: str
    client_secret: str
    match: str
    trust_provider_2fa: bool
    enabled: bool = True


def _check(by: User | None, school: School) -> None:
    if by is not None and not can(by, "sso.configure", school):
        raise PermissionDenied


def normal_issuer(issuer: str) -> str:
    """The issuer as the provider writes it in its tokens: no trailing slash."""
    return issuer.strip().rstrip("/")


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def check_issuer(issuer: str) -> str:
    """The issuer, normalised; an issuer must be an https URL (plain http only on this very
    machine's loopback, for a provider run beside Schoolchat in a test)."""
    issuer = normal_issuer(issuer)
    parts = urlsplit(issuer)
    loopback = parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS
    if not parts.hostname or not (parts.scheme == "https" or loopback) or parts.query \
            or parts.fragment:
        raise ValidationError(_("The issuer must be an https address, such as "
                                "https://login.microsoftonline.com/…/v2.0."), code="issuer")
    return issuer


def _describe(provider: SsoProvider) -> dict[str, Any]:
    return {"school": provider.school_id, "name": provider.name, "issuer": provider.issuer,
            "client_id": provider.client_id, "match": provider.match,
            "trust_provider_2fa": provider.trust_provider_2fa, "enabled": provider.enabled}


def configure(by: User | None, school: School, wanted: Settings) -> SsoProvider:
    """Set the school's provider (a new one, or a change of the one it has)."""
    _check(by, school)
    if wanted.match not in Match.values:
        raise ValidationError(_("Choose how the account is found."), code="match")
    if not wanted.name.strip() or not wanted.client_id.strip():
        raise ValidationError(_("Give the name and the client ID."), code="required")
    with transaction.atomic():
        provider = SsoProvider.objects.select_for_update().filter(school=school).first()
        if provider is None and not wanted.client_secret:
            raise ValidationError(_("Give the client secret."), code="secret")
        provider = provider or SsoProvider(school=school)
        provider.name = wanted.name.strip()
        provider.issuer = check_issuer(wanted.issuer)
        provider.client_id = wanted.client_id.strip()
        provider.match = wanted.match
        provider.trust_provider_2fa = wanted.trust_provider_2fa
        provider.enabled = wanted.enabled
        provider.updated_by = by
        if wanted.client_secret:
            provider.client_secret_sealed = secret_box.seal(wanted.client_secret.strip())
        provider.save()
        chain.record("sso.configured", scope=scopes.integrations(school.pk), actor=by,
                     subjects=[],
                     payload={**_describe(provider), "by": by.pk if by else "operator",
                              "secret_changed": bool(wanted.client_secret)})
    return provider


def remove(by: User | None, school: School) -> bool:
    """The school stops offering sign-in with its provider; False when it had none."""
    _check(by, school)
    with transaction.atomic():
        provider = SsoProvider.objects.select_for_update().filter(school=school).first()
        if provider is None:
            return False
        described = _describe(provider)
        provider.delete()
        chain.record("sso.removed", scope=scopes.integrations(school.pk), actor=by,
                     subjects=[], payload={**described, "by": by.pk if by else "operator"})
    return True


def record_sign_in(provider: SsoProvider, user: User, *, subject: str, address: str | None,
                   second_factor: str) -> None:
    """The provider vouched for this person and their account was found. ``second_factor``:
    "provider" (trusted, they are signed in now), "schoolchat" (their code is asked next) or
    "not_required"."""
    with transaction.atomic():
        chain.record("sso.signed_in", scope=scopes.integrations(provider.school_id), actor=user,
                     subjects=[user],
                     payload={"user": user.pk, "issuer": provider.issuer, "subject": subject,
                              "address": address, "second_factor": second_factor})


def record_refusal(provider: SsoProvider, code: str, *, user: User | None, subject: str,
                   address: str | None) -> None:
    """The provider vouched for someone, but no account was opened: who it was at the
    provider, and why. (A token that did not verify names nobody and is only logged.)"""
    with transaction.atomic():
        chain.record("sso.refused", scope=scopes.integrations(provider.school_id), actor=None,
                     subjects=[user] if user is not None else [],
                     payload={"reason": code, "user": user.pk if user else None,
                              "issuer": provider.issuer, "subject": subject,
                              "address": address})
