"""How many sockets one person may hold open at once, counted over every daphne process.

Each socket costs the server a queue, a task or two and, on subscribe, a replay of history, so
one person (a script, or a browser gone wrong) opening hundreds of them is everyone's problem.
At most ``SCHOOLCHAT_SOCKETS_PER_PERSON`` (default 10: tabs and devices together) are open; a
socket that would be one too many closes that person's *oldest* with
:data:`CLOSE_TOO_MANY_SOCKETS`, so the tab in front of them works and a forgotten one goes. The
close is a ``_close_socket`` event naming the socket on the hub's ``user:<id>`` channel, the
channel a logout's closes take, so it reaches the socket on whichever process holds it.

Where the count lives:

- with Redis, two sorted sets per person, ``<prefix>sockets:user:<id>`` (socket id, scored by
  when it opened, on Redis's clock so every process agrees on the order) and
  ``<prefix>sockets:user:<id>:alive`` (socket id, scored by when it stops counting). A claim is
  one script: drop what expired, add the new socket, take out the oldest past the cap, all at
  once, so two processes claiming together cannot both stay under it. Every process refreshes
  its own sockets' expiry each heartbeat (``SCHOOLCHAT_SOCKET_HEARTBEAT_SECONDS``), itself and
  not on the page's pings; a process that dies stops refreshing, and its sockets stop counting
  after :func:`ttl_seconds`, so a crash never keeps a person's slots taken.
- without Redis (the embedded default, one process), a dict in this process.

A Redis failure lets the socket open: the cap protects the server, it must not lock people out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets

import redis
from django.conf import settings

from messaging import hub
from observability import metrics

log = logging.getLogger(__name__)

# The close code the oldest socket gets (docs/protocol.md): the page says why and stays closed.
CLOSE_TOO_MANY_SOCKETS = 4429
# The hub event (on ``user:<id>``) that closes one socket, named by its id. Not a
# ``_disconnect``: every socket of the person, the safeguarding queue's too, obeys that one.
CLOSE_EVENT = "_close_socket"
# A socket's slot stands this long without its process's refresh: three heartbeats, at least
# 45 s, so one late refresh never frees it.
MIN_TTL_SECONDS = 45

# KEYS: the opened set, the alive set. ARGV: the socket id, the cap, the TTL in seconds.
# Returns the ids of the sockets that must close (oldest first).
CLAIM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ttl = tonumber(ARGV[3])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  redis.call('ZREM', KEYS[1], id)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[2])
local closing = {}
if over > 0 then
  closing = redis.call('ZRANGE', KEYS[1], 0, over - 1)
  for _, id in ipairs(closing) do
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
  end
end
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
return closing
"""

# KEYS: the opened set, the alive set. ARGV: the TTL, then this process's socket ids of the
# person. Only sockets still counted are refreshed: one closed as too many stays out.
REFRESH = """
local t = redis.call('TIME')
local until_ = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[2], 'XX', until_, ARGV[i])
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return 0
"""


def ttl_seconds() -> int:
    return max(MIN_TTL_SECONDS, 3 * settings.SCHOOLCHAT_SOCKET_HEARTBEAT_SECONDS)


def _keys(user_id: int) -> list[str]:
    opened = f"{settings.SCHOOLCHAT_REDIS_PREFIX}sockets:user:{user_id}"
    return [opened, f"{opened}:alive"]


def _close(user_id: int, socket_ids: list[str]) -> None:
    """Close these sockets of the person, on whichever process holds them."""
    for socket_id in socket_ids:
        hub.get_hub().publish_user(user_id, {"type": CLOSE_EVENT, "socket": socket_id})


class Slots:
    """This process's sockets per person, oldest first; with Redis, also the shared count."""

    def __init__(self) -> None:
        self._mine: dict[int, dict[str, None]] = {}
        self._client: redis.Redis | None = None
        self._refresher: asyncio.Task[None] | None = None

    def _redis(self) -> redis.Redis:
        if self._client is None:
            self._client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5,
                                                socket_connect_timeout=5)
        return self._client

    async def claim(self, user_id: int, socket_id: str) -> None:
        """Count the new socket; close the person's oldest past the cap."""
        mine = self._mine.setdefault(user_id, {})
        mine[socket_id] = None
        cap = settings.SCHOOLCHAT_SOCKETS_PER_PERSON
        if not settings.REDIS_URL:
            closing = list(mine)[:max(len(mine) - cap, 0)]
            self._forget(user_id, closing)
            _close(user_id, closing)
            return
        self._start_refreshing()
        try:
            closing = await asyncio.to_thread(self._claim_shared, user_id, socket_id, cap)
        except redis.RedisError:
            metrics.REDIS_ERRORS.labels("sockets").inc()
            log.warning("counting the sockets of user %s failed; this one opens", user_id)
            return
        if closing:
            self._forget(user_id, closing)  # on the loop: the refresher reads the same dict
            await asyncio.to_thread(_close, user_id, closing)  # RedisHub publishes blocking

    def _claim_shared(self, user_id: int, socket_id: str, cap: int) -> list[str]:
        found = self._redis().eval(CLAIM, 2, *_keys(user_id), socket_id, cap, ttl_seconds())
        return [i.decode() if isinstance(i, bytes) else str(i) for i in found]

    async def release(self, user_id: int, socket_id: str) -> None:
        """The socket closed: its slot is free (nothing happens for one closed as too many)."""
        self._forget(user_id, [socket_id])
        if settings.REDIS_URL:
            try:
                await asyncio.to_thread(self._release_shared, user_id, socket_id)
            except redis.RedisError:
                metrics.REDIS_ERRORS.labels("sockets").inc()  # it expires by itself

    def _release_shared(self, user_id: int, socket_id: str) -> None:
        pipe = self._redis().pipeline(transaction=False)
        for key in _keys(user_id):
            pipe.zrem(key, socket_id)
        pipe.execute()

    def _forget(self, user_id: int, socket_ids: list[str]) -> None:
        mine = self._mine.get(user_id)
        if mine is None:
            return
        for socket_id in socket_ids:
            mine.pop(socket_id, None)
        if not mine:
            del self._mine[user_id]

    def _start_refreshing(self) -> None:
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.get_running_loop().create_task(self._refresh())

    async def _refresh(self) -> None:
        """Every heartbeat while this process has sockets: their slots stand a while longer."""
        while self._mine:
            await asyncio.sleep(settings.SCHOOLCHAT_SOCKET_HEARTBEAT_SECONDS)
            mine = {user_id: list(sockets) for user_id, sockets in self._mine.items()}
            try:
                await asyncio.to_thread(self._refresh_shared, mine)
            except redis.RedisError:
                metrics.REDIS_ERRORS.labels("sockets").inc()
                log.warning("refreshing this process's socket slots failed; trying again")

    def _refresh_shared(self, mine: dict[int, list[str]]) -> None:
        pipe = self._redis().pipeline(transaction=False)
        for user_id, sockets in mine.items():
            if sockets:
                pipe.eval(REFRESH, 2, *_keys(user_id), ttl_seconds(), *sockets)
        pipe.execute()

    def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()


_slots = Slots()


def slots() -> Slots:
    return _slots


def reset() -> None:
    """Forget every socket of this process (tests: each test has its own event loop)."""
    global _slots
    _slots.stop()
    _slots = Slots()


class SocketSlot:
    """One socket's slot: claimed once it is open, released when it closes."""

    __slots__ = ("socket_id", "user_id")

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.socket_id = secrets.token_hex(8)

    async def claim(self) -> None:
        await _slots.claim(self.user_id, self.socket_id)

    async def release(self) -> None:
        await _slots.release(self.user_id, self.socket_id)
