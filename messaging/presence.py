"""Which conversations are open on a live socket, for the push sender in another process.

Issue 13's rule: a device with the conversation open on screen gets no push for it. The page's
heartbeat (``ping``, docs/protocol.md) says whether the tab is visible and which push
subscription this browser has (its endpoint, when notifications are on). Entries are written
when they change (a conversation opened or left, the tab shown or hidden, another endpoint, the
socket closed), valid for :func:`ttl_seconds`; a heartbeat that changes nothing only marks the
socket as alive, and once per :func:`refresh_seconds` the process's :class:`Refresher` extends
the entries of every socket that beat since its last round, all in one Redis pipeline (or one
UPDATE). A socket that stops answering (a phone put away, a lost network) is left out of the
next round and drops out by itself when its entries run out, at most ``refresh_seconds`` +
``ttl_seconds`` after its last heartbeat; a socket that closes or a tab that is hidden removes
its entries at once.

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
import logging
import random
import secrets
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import redis
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from messaging.models import Presence

log = logging.getLogger(__name__)

# How long an entry stands without a heartbeat: at least 45 s, and three beats of
# SCHOOLCHAT_SOCKET_HEARTBEAT_SECONDS, so one late heartbeat never ends it.
MIN_TTL_SECONDS = 45
ENDPOINT_MAX = 2000
# One refresh in this many also deletes every expired row (the table has no other sweeper).
SWEEP_ONE_IN = 20

_client: redis.Redis | None = None


def ttl_seconds() -> int:
    return max(MIN_TTL_SECONDS, 3 * settings.SCHOOLCHAT_SOCKET_HEARTBEAT_SECONDS)


def refresh_seconds() -> float:
    """How often a process extends its live sockets' entries: once per heartbeat, so an entry
    outlives two missed rounds (the TTL is at least three heartbeats)."""
    return float(max(1, settings.SCHOOLCHAT_SOCKET_HEARTBEAT_SECONDS))


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


def refresh(entries: list[tuple[str, int, str, set[int]]]) -> None:
    """Extend the entries of several sockets (socket id, user id, endpoint, conversations) by
    :func:`ttl_seconds`: one Redis pipeline, or one UPDATE, whatever their number."""
    if not entries:
        return
    expires = time.time() + ttl_seconds()
    if settings.REDIS_URL:
        pipe = _redis().pipeline(transaction=False)
        keys: set[str] = set()
        for socket_id, user_id, endpoint, conversations in entries:
            for conversation_id in conversations:
                key = _key(conversation_id)
                pipe.zadd(key, {_member(socket_id, user_id, endpoint): expires})
                keys.add(key)
        now = time.time()
        for key in sorted(keys):
            pipe.zremrangebyscore(key, "-inf", now)
            pipe.expire(key, ttl_seconds())
        pipe.execute()
        return
    until = timezone.now() + timedelta(seconds=ttl_seconds())
    with transaction.atomic():
        Presence.objects.filter(socket__in=[socket_id for socket_id, *_rest in entries]).update(
            expires_at=until)
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
    """One socket's entries: written when they change, kept alive by its heartbeats through
    this process's :class:`Refresher`, removed when it closes."""

    __slots__ = ("beaten", "endpoint", "socket_id", "stored", "user_id", "visible")

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.socket_id = secrets.token_hex(8)
        self.endpoint = ""
        self.visible = False
        self.stored: dict[int, str] = {}  # conversation id -> endpoint stored with it
        self.beaten = False  # a heartbeat since the refresher's last round

    async def beat(self, conversations: Iterable[int], *, visible: bool | None = None,
                   endpoint: str | None = None) -> None:
        if visible is not None:
            self.visible = visible
        if endpoint is not None:
            self.endpoint = endpoint
        wanted = set(conversations) if self.visible else set()
        self.beaten = True
        if wanted == set(self.stored) and all(e == self.endpoint for e in self.stored.values()):
            return  # nothing changed: the refresher's next round extends what is stored
        before, self.stored = self.stored, dict.fromkeys(wanted, self.endpoint)
        refresher().watch(self)
        await _run(store, self.socket_id, self.user_id, self.endpoint, wanted, before)

    async def clear(self) -> None:
        refresher().forget(self)
        if self.stored:
            before, self.stored = self.stored, {}
            await _run(store, self.socket_id, self.user_id, self.endpoint, set(), before)


class Refresher:
    """The entries of this process's sockets, extended together once per
    :func:`refresh_seconds` while any socket has some; bound to one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.sockets: dict[str, SocketPresence] = {}
        self._task: asyncio.Task[None] | None = None

    def watch(self, socket: SocketPresence) -> None:
        self.sockets[socket.socket_id] = socket
        if self._task is None or self._task.done():
            self._task = self.loop.create_task(self._run())

    def forget(self, socket: SocketPresence) -> None:
        self.sockets.pop(socket.socket_id, None)
        if not self.sockets and self._task is not None:
            self._task.cancel()  # nothing to refresh: no timer while the process is idle
            self._task = None

    async def flush(self) -> int:
        """One round: extend the entries of every socket that beat since the last round (and
        has entries); returns how many sockets that was."""
        due = [s for s in self.sockets.values() if s.beaten and s.stored]
        for socket in due:
            socket.beaten = False
        if due:
            await _run(refresh, [(s.socket_id, s.user_id, s.endpoint, set(s.stored))
                                 for s in due])
        return len(due)

    async def _run(self) -> None:
        while self.sockets:
            await asyncio.sleep(refresh_seconds())
            try:
                await self.flush()
            except Exception:  # Redis or the database away: at worst one push too many
                log.warning("refreshing the presence of %d sockets failed", len(self.sockets))


_refresher: Refresher | None = None


def refresher() -> Refresher:
    """This process's refresher, on the running event loop."""
    global _refresher
    loop = asyncio.get_running_loop()
    if _refresher is None or _refresher.loop is not loop:
        _refresher = Refresher(loop)
    return _refresher


# Redis writes of this process, one at a time in the order they were asked for: a round of the
# refresher that read a socket's entries before it closed cannot write them after its removal.
_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="presence")


async def _run(func: Callable[..., None], *args: object) -> None:
    """Redis calls on the presence thread; database calls on the database thread (both one
    thread, so writes land in the order they were made)."""
    if settings.REDIS_URL:
        await asyncio.get_running_loop().run_in_executor(_writer, func, *args)
    else:
        await database_sync_to_async(func)(*args)
