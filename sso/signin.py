"""Whose account the provider's answer opens, and whether Schoolchat still asks its code.

Accounts are never made here: the claim the school chose (``email`` or
``preferred_username``) must name exactly one account of that very school, and it must be a
member of staff's (:func:`sso.access.may_sign_in_with_school_account`) that is still open.
"""

from __future__ import annotations

from typing import Any

from accounts.models import User
from sso.access import may_sign_in_with_school_account
from sso.models import Match, SsoProvider
from sso.refusals import Refused

# RFC 8176 "amr" values: "mfa" says so outright; two different methods are two factors too.
# "acr" values that name a multi-factor policy (OpenID PAPE, REFEDS).
MULTI_FACTOR_ACR = frozenset({
    "http://schemas.openid.net/pape/policies/2007/06/multi-factor",
    "https://refeds.org/profile/mfa",
})


def _claim(provider: SsoProvider, claims: dict[str, Any]) -> str:
    if provider.match == Match.EMAIL:
        if claims.get("email_verified") is False:
            return ""  # the provider itself does not vouch for the address
        value = claims.get("email")
    else:
        value = claims.get("preferred_username")
    return value.strip() if isinstance(value, str) else ""


def account_for(provider: SsoProvider, claims: dict[str, Any]) -> User:
    """The one account of the provider's school these claims name; else :class:`Refused`."""
    subject = str(claims.get("sub", ""))
    value = _claim(provider, claims)
    if not value:
        raise Refused("no_claim", subject=subject)
    people = User.objects.filter(school_id=provider.school_id)
    if provider.match == Match.EMAIL:
        found = list(people.filter(email__iexact=value)[:2])
    else:
        found = list(people.filter(username=value)[:2])
    if not found:
        raise Refused("no_account", subject=subject, detail=value)
    if len(found) > 1:
        raise Refused("ambiguous", subject=subject, detail=value)
    user = found[0]
    if user.left_at is not None or (not user.is_active and user.last_login is not None):
        raise Refused("closed", subject=subject, user=user)
    if not user.is_active:
        # Made by the school, its invitation not yet accepted: the invitation comes first.
        raise Refused("not_activated", subject=subject, user=user)
    if not may_sign_in_with_school_account(user):
        raise Refused("not_staff", subject=subject, user=user)
    return user


def provider_used_second_factor(claims: dict[str, Any]) -> bool:
    amr = claims.get("amr")
    methods = {m for m in amr if isinstance(m, str)} if isinstance(amr, list) else set()
    return "mfa" in methods or len(methods) >= 2 or claims.get("acr") in MULTI_FACTOR_ACR


def second_factor(provider: SsoProvider, user: User, claims: dict[str, Any]) -> str:
    """"not_required", "provider" (trusted and used: no Schoolchat code) or "schoolchat"
    (the person's Schoolchat code is asked next, as after a password)."""
    if not user.needs_two_factor:
        return "not_required"
    if provider.trust_provider_2fa and provider_used_second_factor(claims):
        return "provider"
    return "schoolchat"
