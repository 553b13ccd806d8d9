"""Who is trying to sign in, from where, and how often: the client address and the back-off.

Wrong passwords and wrong second-factor codes are counted by django-axes per (client address,
username): five from one address pause that address for that account for 15 minutes, and
nobody else. The address is the direct peer (REMOTE_ADDR) unless the peer is one of
``SCHOOLCHAT_TRUSTED_PROXIES``; then it is the rightmost X-Forwarded-For hop that is not a
trusted proxy, because every hop to the left of that one was written by someone we do not
trust and could be anything.

An attacker who spreads guesses over many addresses is slowed by a per-account back-off
instead of a lockout: past ``SCHOOLCHAT_ACCOUNT_BACKOFF_AFTER`` recent failures (from any
address), each further try on that account must wait a delay that doubles with every failure,
up to ``SCHOOLCHAT_ACCOUNT_BACKOFF_MAX_SECONDS``. The owner is never shut out for longer than
that, whatever a stranger does.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.db.models import Max, Sum
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from accounts.backends import account_for_login
from accounts.models import User
from archive import chain, scopes

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# A daphne listening on a unix socket has no peer address; "unix" in the trusted list says the
# process on the other end of that socket is the proxy.
UNIX_PEER = "unix"


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries if e != UNIX_PEER)


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in net for net in _networks(tuple(settings.SCHOOLCHAT_TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as far as we can trust it (django-axes' AXES_CLIENT_IP_CALLABLE)."""
    peer_raw = request.META.get("REMOTE_ADDR") or ""
    peer = _parse(peer_raw) if peer_raw else None
    if peer is None:
        # No TCP peer (a unix socket): only a proxy listed as "unix" may speak for the client.
        if UNIX_PEER not in settings.SCHOOLCHAT_TRUSTED_PROXIES:
            return None
    elif not _trusted(peer):
        return str(peer)
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    nearest = str(peer) if peer is not None else None
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            # A hop we cannot read: stop at the last address a trusted proxy vouched for.
            return nearest
        if not _trusted(address):
            return str(address)
        nearest = str(address)
    return nearest


# --- whose tries these are --------------------------------------------------------------------
def login_key(typed: str) -> str:
    """What tries are counted under: the account's username, whether its username or its
    e-mail address was typed; the typed text itself when it names no account."""
    user = account_for_login(typed)
    return user.username if user is not None else (typed or "").strip()


def axes_username(request: HttpRequest | None, credentials: dict[str, Any] | None = None) -> str:
    """django-axes' AXES_USERNAME_CALLABLE: the same key for the lockout as for the back-off."""
    source = credentials or getattr(request, "POST", {})
    typed = source.get("username")
    return login_key(typed if isinstance(typed, str) else "")


# --- the per-account back-off ---------------------------------------------------------------
def _now() -> datetime:
    return timezone.now()


def _window() -> timedelta:
    return timedelta(hours=float(settings.AXES_COOLOFF_TIME))


def backoff_seconds(username: str) -> int:
    """Seconds this account's next try must still wait (0: go ahead), whatever the address;
    ``username`` may also be the account's e-mail address."""
    threshold = settings.SCHOOLCHAT_ACCOUNT_BACKOFF_AFTER
    if not username or threshold <= 0:
        return 0
    username = login_key(username)
    now = _now()
    recent = AccessAttempt.objects.filter(username=username, attempt_time__gte=now - _window())
    summary = recent.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    failures, last = summary["failures"] or 0, summary["last"]
    if failures < threshold or last is None:
        return 0
    delay = min(2 ** (failures - threshold), settings.SCHOOLCHAT_ACCOUNT_BACKOFF_MAX_SECONDS)
    remaining = (last + timedelta(seconds=delay) - now).total_seconds()
    return max(0, math.ceil(float(remaining)))


# --- wrong second-factor codes ----------------------------------------------------------------
def is_locked_out(request: HttpRequest, username: str) -> bool:
    """Whether django-axes has paused sign-in for this username from this client address."""
    return bool(AxesProxyHandler.is_locked(request, {"username": username}))


def code_failed(request: HttpRequest, user: User) -> bool:
    """Count a wrong TOTP or recovery code like a wrong password (same address and username),
    write an alert to the audit log, and say whether sign-in is now paused."""
    # Django's own signal: django-axes counts it exactly as it counts a wrong password.
    user_login_failed.send(sender=__name__, credentials={"username": user.username},
                           request=request)
    locked = bool(getattr(request, "axes_locked_out", False))
    with transaction.atomic():
        chain.record("account.2fa_failed", scope=scopes.school(user.school_id), actor=None,
                       subjects=[user], payload={
                           "user": user.pk, "address": client_ip(request),
                           "locked_out": locked,
                       })
    return locked


@receiver(user_locked_out)
def _record_lockout(sender: Any, request: HttpRequest | None = None, username: str | None = None,
                    ip_address: str | None = None, **kwargs: Any) -> None:
    """A pause is itself worth an alert: someone is guessing at this account. Recorded when it
    begins, not for every refused try during it (a stranger could otherwise fill the log)."""
    if getattr(request, "axes_failures_since_start", None) != settings.AXES_FAILURE_LIMIT:
        return
    user = User.objects.filter(username=username).first() if username else None
    if user is None:
        return
    with transaction.atomic():
        chain.record("account.sign_in_paused", scope=scopes.school(user.school_id),
                       actor=None, subjects=[user],
                       payload={"user": user.pk, "address": ip_address})
