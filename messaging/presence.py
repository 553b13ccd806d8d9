"""Which conversations are open on a live socket, for the push sender in another process.

Issue 13's rule: a device with the conversation open on screen gets no push for it. The page's
heartbeat (``ping``, docs/protocol.md) says whether the tab is visible and which push
subscription this browser has (its endpoint, when notifications are on); each heartbeat
refreshes an entry per conversation the socket is subscribed to, valid for
:func:`ttl_seconds`. A socket that stops answering (a phone put away, a lost network) drops out
by itself when that runs out; a socket that closes or a tab that is hidden removes its entries
at once.

The push sender (the Celery worker, another process) reads them, so they live where both can:
- with Redis (production): one sorted set per conversation, ``<prefix>presence:conv:<id>``,
  members ``<socket>|<user id>|<endpoint>`` scored by their expiry; the set itself expires too;
- without it (the embedded default, SQLite and the in-process hub): the
  :class:`messaging.models.Presence` table.

Presence is a hint about what is on a screen right now, not a record: it is not archived,
nothing else reads it, and losing it (a Redis restart) costs at most one push too many.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections.abc import Callable, Iterable
from datetime import timedelta

import redis
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from messaging.models import Presence

# How long an entry stands without a heartbeat: at least 45 s, and three beats of
# SCHOOLCHAT_SOCKET_HEARTBEAT_SECONDS, so one late heartbeat never ends it.
MIN_TTL_SECONDS = 45
ENDPOINT_MAX = 2000
# One refresh in this many also deletes every expired row (the table has no other sweeper).
SWEEP_ONE_IN = 20

_client: redis.Redis | None = None


def ttl_seconds() -> int:
    return max(MIN_TTL_SECONDS, 3 * settings.SCHOOLCHAT_SOCKET_HEARTBEAT_SECONDS)


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5,
                                       socket_connect_timeout=5)
    return _client


def _key(conversation_id: int) -> str:
    return f"{settings.SCHOOLCHAT_REDIS_PREFIX}presence:conv:{conversation_id}"


def _member(socket_id: str, user_id: int, endpoint: str) -> str:
    return f"{socket_id}|{user_id}|{endpoint}"


def clean_endpoint(value: object) -> str:
    """The push endpoint a page reported, or "" (not a string, too long, not http(s))."""
    if not isinstance(value, str) or len(value) > ENDPOINT_MAX:
        return ""
    return value if value.startswith(("https://", "http://")) else ""


# --- the two stores (sync; run off the event loop) -------------------------------------------
def store(socket_id: str, user_id: int, endpoint: str, conversations: set[int],
          before: dict[int, str]) -> None:
    """The socket has ``conversations`` open now (``before``: what it had, with the endpoint
    used then); entries for the others go."""
    expires = time.time() + ttl_seconds()
    if settings.REDIS_URL:
        pipe = _redis().pipeline(transaction=False)
        for conversation_id, old_endpoint in before.items():
            if conversation_id not in conversations or old_endpoint != endpoint:
                pipe.zrem(_key(conversation_id), _member(socket_id, user_id, old_endpoint))
        for conversation_id in conversations:
            key = _key(conversation_id)
            pipe.zadd(key, {_member(socket_id, user_id, endpoint): expires})
            pipe.zremrangebyscore(key, "-inf", time.time())
            pipe.expire(key, ttl_seconds())
        pipe.execute()
        return
    until = timezone.now() + timedelta(seconds=ttl_seconds())
    with transaction.atomic():
        Presence.objects.filter(socket=socket_id).exclude(
            conversation_id__in=conversations).delete()
        Presence.objects.bulk_create(
            [Presence(socket=socket_id, user_id=user_id, conversation_id=c, endpoint=endpoint,
                      expires_at=until) for c in sorted(conversations)],
            update_conflicts=True, unique_fields=["socket", "conversation"],
            update_fields=["endpoint", "expires_at"])
        if random.randrange(SWEEP_ONE_IN) == 0:
            Presence.objects.filter(expires_at__lte=timezone.now()).delete()


def looking(conversation_id: int) -> set[tuple[int, str]]:
    """(user id, push endpoint or "") of every live socket with the conversation open."""
    if settings.REDIS_URL:
        try:
            rows = _redis().zrangebyscore(_key(conversation_id), time.time(), "+inf")
        except redis.RedisError:
            return set()  # nobody is known to be looking: everyone is notified
        found = set()
        for row in rows:
            text = row.decode() if isinstance(row, bytes) else str(row)
            _socket, user_id, endpoint = text.split("|", 2)
            found.add((int(user_id), endpoint))
        return found
    # Uses index: messaging_presence_open.
    return set(Presence.objects.filter(conversation_id=conversation_id,
                                       expires_at__gt=timezone.now())
               .values_list("user_id", "endpoint"))


class SocketPresence:
    """One socket's entries: refreshed by its heartbeats, removed when it closes."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.socket_id = secrets.token_hex(8)
        self.endpoint = ""
        self.visible = False
        self.stored: dict[int, str] = {}  # conversation id -> endpoint stored with it

    async def beat(self, conversations: Iterable[int], *, visible: bool | None = None,
                   endpoint: str | None = None) -> None:
        if visible is not None:
            self.visible = visible
        if endpoint is not None:
            self.endpoint = endpoint
        wanted = set(conversations) if self.visible else set()
        if not wanted and not self.stored:
            return
        before, self.stored = self.stored, dict.fromkeys(wanted, self.endpoint)
        await _run(store, self.socket_id, self.user_id, self.endpoint, wanted, before)

    async def clear(self) -> None:
        if self.stored:
            before, self.stored = self.stored, {}
            await _run(store, self.socket_id, self.user_id, self.endpoint, set(), before)


async def _run(func: Callable[..., None], *args: object) -> None:
    """Redis calls in a plain thread; database calls on the database thread."""
    if settings.REDIS_URL:
        await asyncio.to_thread(func, *args)
    else:
        await database_sync_to_async(func)(*args)
