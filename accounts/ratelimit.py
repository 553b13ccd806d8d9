"""Per-person rate limits: a burst, then a sustained rate (GCRA, a token bucket in one number).

Three things a person does are limited: posting messages (the websocket and the HTTP form go
through ``messaging.actions.post_messages``, which asks here), uploading attachments and
issuing invitation or reset links; one thing a visitor does, per client address: typing a
printed letter's short code at ``/join/`` (:func:`check_address`); and budgets of other owners,
named by them (:func:`check_bucket`: an API token's calls, ``api.auth``). Each school sets its own
burst and rate for a person (``School`` fields, on the school's policies page); the defaults
are in :data:`DEFAULTS`.

The state is one "theoretical arrival time" per person and kind. With ``REDIS_URL`` set it
lives in Redis and is updated by one Lua script (atomic, on Redis's clock), so every web
process shares one budget per person; on the embedded default (one process) it lives in this
process's memory.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext


@dataclass(frozen=True)
class Limit:
    burst: int  # this many at once
    per_minute: int  # then this many a minute

    @property
    def interval(self) -> float:
        return 60.0 / max(1, self.per_minute)


# kind: (School field of the burst, School field of the rate, default)
KINDS: dict[str, tuple[str, str, Limit]] = {
    # A person types a few messages in a row; 1 a second is faster than anyone writes.
    "post": ("post_burst", "posts_per_minute", Limit(20, 60)),
    # A handful of photos of a trip at once, then one per 10 seconds.
    "upload": ("upload_burst", "uploads_per_minute", Limit(10, 6)),
    # Links for a new family or a class's parents at once, then one per 2 seconds: enough to
    # work through a list by hand, too slow to flood mailboxes with links.
    "invitation": ("invitation_burst", "invitations_per_minute", Limit(50, 30)),
}
DEFAULTS = {kind: limit for kind, (_b, _r, limit) in KINDS.items()}

# What visitors who are not signed in do, limited per client address (as django-axes sees it,
# accounts.signin.client_ip) and the same for every school, since the school is not known yet.
ADDRESS_KINDS: dict[str, Limit] = {
    # Typing the short code of a printed letter at /join/: a family gets a few typos right
    # at once, then one try every 12 seconds; guessing one of 31^8 codes that way takes ages.
    "join_code": Limit(10, 5),
    # Starting a sign-in with the school's account (sso): each start makes the server ask the
    # school's provider; a staff room behind one address signs in at 8:00, so it is generous.
    "sso_sign_in": Limit(30, 30),
}


class RateLimited(ValidationError):
    """Refused for going too fast; ``retry_after`` seconds until one more is allowed."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(ngettext(
            "You are going too fast. Try again in %(seconds)d second.",
            "You are going too fast. Try again in %(seconds)d seconds.",
            self.retry_after) % {"seconds": self.retry_after}, code="rate_limited")


def limit_for(kind: str, school: Any) -> Limit:
    burst_field, rate_field, default = KINDS[kind]
    if school is None:
        return default
    return Limit(getattr(school, burst_field, default.burst) or default.burst,
                 getattr(school, rate_field, default.per_minute) or default.per_minute)


def gcra(tat: float, now: float, limit: Limit, cost: int) -> tuple[int, float, float]:
    """How many of ``cost`` are allowed; the new arrival time; seconds until the next one."""
    interval = limit.interval
    tolerance = (limit.burst - 1) * interval
    tat = max(tat, now)
    allowed = max(0, min(cost, math.floor((tolerance - (tat - now)) / interval + 1e-9) + 1))
    tat += allowed * interval
    retry = 0.0 if allowed == cost else tat - now - tolerance
    return allowed, tat, retry


class LocalStore:
    """This process's memory: the embedded default, one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tats: dict[str, float] = {}

    def take(self, key: str, limit: Limit, cost: int) -> tuple[int, float]:
        with self._lock:
            now = time.monotonic()
            if len(self._tats) > 10_000:  # forget people who are back to a full burst
                self._tats = {k: t for k, t in self._tats.items() if t > now}
            allowed, tat, retry = gcra(self._tats.get(key, now), now, limit, cost)
            self._tats[key] = tat
            return allowed, retry


# The same computation as gcra(), in milliseconds, atomically, on Redis's own clock.
GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local tolerance = (burst - 1) * interval
local allowed = math.floor((tolerance - (tat - now)) / interval) + 1
if allowed < 0 then allowed = 0 end
if allowed > cost then allowed = cost end
tat = tat + allowed * interval
if allowed > 0 then redis.call('SET', KEYS[1], tat, 'PX', tat - now + 1000) end
local retry = 0
if allowed < cost then retry = tat - now - tolerance end
return {allowed, retry}
"""


class RedisStore:
    """Shared by every process that uses the same Redis."""

    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._script = self._client.register_script(GCRA_LUA)

    def take(self, key: str, limit: Limit, cost: int) -> tuple[int, float]:
        try:
            allowed, retry_ms = self._script(
                keys=[key], args=[round(limit.interval * 1000), limit.burst, cost])
        except redis.RedisError:
            return cost, 0.0  # Redis is away: posting goes on, as it does for the hub
        return int(allowed), int(retry_ms) / 1000


_stores: dict[str, LocalStore | RedisStore] = {}
_stores_lock = threading.Lock()


def _store() -> LocalStore | RedisStore:
    url = settings.REDIS_URL
    with _stores_lock:
        if url not in _stores:
            _stores[url] = RedisStore(url) if url else LocalStore()
        return _stores[url]


def take(kind: str, user: Any, cost: int = 1) -> tuple[int, float]:
    """Spend up to ``cost`` of the person's budget for ``kind``: ``(allowed, retry_after)``,
    where ``allowed`` may be less than ``cost`` and ``retry_after`` (seconds) is 0 when all
    were allowed."""
    if cost <= 0:
        return 0, 0.0
    limit = limit_for(kind, getattr(user, "school", None))
    key = f"{settings.SCHOOLCHAT_REDIS_PREFIX}rate:{kind}:{user.pk}"
    return _store().take(key, limit, cost)


def check(kind: str, user: Any) -> None:
    """Spend one; raises :class:`RateLimited` when the person is going too fast."""
    allowed, retry = take(kind, user)
    if not allowed:
        raise RateLimited(retry)


def check_address(kind: str, address: str | None) -> None:
    """Spend one of this client address's budget for ``kind`` (:data:`ADDRESS_KINDS`); raises
    :class:`RateLimited` when it is going too fast. Clients without a known address share one
    budget."""
    key = f"{settings.SCHOOLCHAT_REDIS_PREFIX}rate:{kind}:address:{address or 'unknown'}"
    allowed, retry = _store().take(key, ADDRESS_KINDS[kind], 1)
    if not allowed:
        raise RateLimited(retry)


def check_bucket(name: str, limit: Limit) -> None:
    """Spend one of a budget that is neither a person's nor a client address's, named by its
    owner (an API token's: ``api.auth``); raises :class:`RateLimited` when it is going too
    fast."""
    allowed, retry = _store().take(f"{settings.SCHOOLCHAT_REDIS_PREFIX}rate:bucket:{name}", limit, 1)
    if not allowed:
        raise RateLimited(retry)


def refused_page(request: HttpRequest, exc: RateLimited, back: str) -> HttpResponse:
    """The HTTP answer to a refused form: 429, the reason, and the way back."""
    response = render(request, "accounts/rate_limited.html", {"reason": exc.messages[0], "back": back},
                      status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response
