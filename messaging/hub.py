"""The per-process real-time hub.

Each ASGI process runs one hub. It keeps this process's sockets per conversation and per user
and writes each event to the local sockets only. With Redis configured (:class:`RedisHub`) the
process subscribes to ``conv:<id>`` while at least one local socket is in that conversation, and
to ``user:<id>`` while that user has a local socket, so events cross processes through one
Redis subscription per conversation rather than one channel-layer operation per member (the
measurements behind this are in docs/architecture.md). Without Redis, :class:`LocalHub` does the
same within the one process, and learns of what other processes (the Celery worker of the
embedded default) committed by polling the database while it has sockets: see
:meth:`LocalHub._poll`.

The hub is never the source of truth. Events are published after the database commit; a
subscriber that misses one (Redis restart, dropped pub/sub message, slow socket disconnected)
finds the gap by ``seq`` and reads what it missed from the database.

Threading: ``publish``, ``publish_user`` and ``disconnect_user`` may be called from any thread
(they run in ``transaction.on_commit`` in a sync worker thread). Everything else runs on the
event loop of the ASGI server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any, Protocol

import redis
import redis.asyncio as aredis
from channels.db import database_sync_to_async
from django.conf import settings
from django.utils.module_loading import import_string

from accounts.models import User
from messaging.models import Conversation
from messaging.wire import Frame
from observability import metrics

log = logging.getLogger(__name__)

Event = dict[str, Any]


class Subscriber(Protocol):
    user_id: int

    def deliver(self, event: Event, frame: Frame | None = None) -> None:
        """Queue (or write) an event for the socket. Called on the loop; must not block.
        ``frame`` is the event encoded once for every socket (None for internal events)."""


def _observe_fanout(event: Event) -> None:
    """How long a new message took from its creation to this process's sockets."""
    try:
        created = datetime.fromisoformat(str(event["created_at"]))
    except (KeyError, ValueError):
        return
    metrics.FANOUT_SECONDS.observe(max((datetime.now(created.tzinfo) - created).total_seconds(), 0))


# Ids per ``pk__in`` of one poll query: far below every database's limit on query parameters.
POLL_CHUNK = 500


@database_sync_to_async
def _changes(conversation_ids: list[int], user_ids: list[int]) -> tuple[dict[int, int], set[int]]:
    """The newest seq of each conversation, and which of the users are no longer active."""
    heads: dict[int, int] = {}
    inactive: set[int] = set()
    for start in range(0, len(conversation_ids), POLL_CHUNK):
        heads.update(Conversation.objects.filter(
            pk__in=conversation_ids[start:start + POLL_CHUNK]).values_list("pk", "last_seq"))
    for start in range(0, len(user_ids), POLL_CHUNK):
        inactive.update(User.objects.filter(
            pk__in=user_ids[start:start + POLL_CHUNK], is_active=False).values_list("pk", flat=True))
    return heads, inactive


class LocalHub:
    """Fan-out to the sockets of this process only (the embedded default)."""

    # Whether this hub polls the database for what other processes committed (RedisHub hears
    # it from Redis instead).
    polls = True

    def __init__(self) -> None:
        self._conversations: dict[int, set[Subscriber]] = defaultdict(set)
        self._users: dict[int, set[Subscriber]] = defaultdict(set)
        self._loop: asyncio.AbstractEventLoop | None = None
        # conversation id -> the newest seq every local socket in it has been sent or told of
        self._heads: dict[int, int] = {}
        self._poller: asyncio.Task[None] | None = None

    # --- called on the event loop -------------------------------------------------------
    async def attach(self, sub: Subscriber) -> None:
        self._loop = asyncio.get_running_loop()
        first = not self._users.get(sub.user_id)
        self._users[sub.user_id].add(sub)
        if first:
            await self._subscribe(f"user:{sub.user_id}")
        self._start_polling()

    async def detach(self, sub: Subscriber) -> None:
        for conversation_id in [c for c, subs in self._conversations.items() if sub in subs]:
            await self.leave(conversation_id, sub)
        subs = self._users.get(sub.user_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._users[sub.user_id]
                await self._unsubscribe(f"user:{sub.user_id}")

    async def join(self, conversation_id: int, sub: Subscriber) -> None:
        """Start delivering the conversation's events to ``sub``.

        When this returns, every event published from now on reaches ``sub``, so a database
        read made afterwards plus the live events cover everything with no hole.
        """
        first = not self._conversations.get(conversation_id)
        self._conversations[conversation_id].add(sub)
        if first:
            await self._subscribe(f"conv:{conversation_id}")

    async def leave(self, conversation_id: int, sub: Subscriber) -> None:
        subs = self._conversations.get(conversation_id)
        if subs is None:
            return
        subs.discard(sub)
        if not subs:
            del self._conversations[conversation_id]
            self._heads.pop(conversation_id, None)
            await self._unsubscribe(f"conv:{conversation_id}")

    def local_socket_count(self) -> int:
        return sum(len(subs) for subs in self._users.values())

    def _fanout(self, channel: str, event: Event, text: str | None = None) -> None:
        """Hand the event to every local socket of the channel. ``text``: the event's JSON as
        published, when at hand. Browser-facing events are encoded once here for all."""
        kind, _, raw_id = channel.partition(":")
        target = self._conversations if kind == "conv" else self._users
        subs = list(target.get(int(raw_id), ()))
        if not subs:
            return
        seq = event.get("seq")
        if kind == "conv" and isinstance(seq, int):
            # Every local socket gets this one and reads any gap before it: none needs telling.
            self._heads[int(raw_id)] = max(seq, self._heads.get(int(raw_id), 0))
        internal = str(event.get("type", "")).startswith("_")
        frame = None if internal else Frame.shared(event, text)
        if kind == "conv" and event.get("type") == "message":
            _observe_fanout(event)
        for sub in subs:
            try:
                sub.deliver(event, frame)
            except Exception:  # one broken socket must not stop delivery to the others
                log.exception("delivering to a socket failed")

    def _fanout_all(self, event: Event) -> None:
        for subs in list(self._users.values()):
            for sub in list(subs):
                sub.deliver(event)

    # --- what other processes committed (LocalHub only) -----------------------------------
    def _start_polling(self) -> None:
        if not self.polls or settings.SCHOOLCHAT_LOCAL_HUB_POLL_SECONDS <= 0:
            return
        if self._poller is None or self._poller.done():
            self._poller = asyncio.get_running_loop().create_task(self._poll())

    async def _poll(self) -> None:
        """While this process has sockets: every ``SCHOOLCHAT_LOCAL_HUB_POLL_SECONDS``, one
        read of the newest seq of the conversations they are in and of which of their users
        are still active (two indexed queries, by primary key).

        Without Redis nothing else tells this process what another one committed (a message
        the worker posts at its scheduled time, a leaver the worker processes). A conversation
        the database is ahead in gets ``_resync``: each of its sockets reads what it missed
        from the event log, in order, once, as after any gap. An inactive user's sockets close.
        A conversation this hub has no seq for yet (just joined) is told once too, so nothing
        committed between a socket's backlog read and the first poll is missed. The task ends
        when the last socket goes (no queries while idle); the next socket starts it again.
        """
        while self._users:
            await asyncio.sleep(settings.SCHOOLCHAT_LOCAL_HUB_POLL_SECONDS)
            if not self._users:
                break
            try:
                heads, inactive = await _changes(list(self._conversations), list(self._users))
            except Exception:  # the database is away: the sockets resync on the next poll
                log.warning("the hub could not read the database; polling again")
                continue
            for conversation_id, seq in heads.items():
                known = self._heads.get(conversation_id)
                if conversation_id in self._conversations and (known is None or seq > known):
                    self._heads[conversation_id] = seq
                    self._fanout(f"conv:{conversation_id}",
                                 {"type": "_resync", "conversation": conversation_id})
            for user_id in inactive:
                self._fanout(f"user:{user_id}", {"type": "_disconnect", "reason": "deactivated"})

    # --- transport (overridden by RedisHub) ---------------------------------------------
    async def _subscribe(self, channel: str) -> None:
        return None

    async def _unsubscribe(self, channel: str) -> None:
        return None

    def _send(self, channel: str, event: Event) -> None:
        self._deliver_here(channel, event)

    def _deliver_here(self, channel: str, event: Event, text: str | None = None) -> None:
        """Hand the event to this process's own sockets on the loop, in the order of the calls
        (``call_soon_threadsafe`` keeps it). ``text``: the event's JSON, when already made."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # no socket has ever attached in this process: nobody to tell
        loop.call_soon_threadsafe(self._fanout, channel, event, text)

    # --- called from any thread ---------------------------------------------------------
    def publish(self, conversation_id: int, event: Event) -> None:
        self._send(f"conv:{conversation_id}", event)

    def publish_many(self, conversation_id: int, events: list[Event]) -> None:
        """Several events of one conversation, in order (a batch of messages)."""
        for event in events:
            self.publish(conversation_id, event)

    def publish_user(self, user_id: int, event: Event) -> None:
        self._send(f"user:{user_id}", event)

    def disconnect_user(self, user_id: int, *, session_key: str | None = None,
                        reason: str = "deactivated") -> None:
        """Close every socket of the user (or only those of one session), on every process."""
        event: Event = {"type": "_disconnect", "reason": reason}
        if session_key is not None:
            event["session"] = session_key
        self.publish_user(user_id, event)


class RedisHub(LocalHub):
    """Fan-out across processes: one Redis subscription per conversation per process.

    Local first: the publishing process hands an event to its own sockets directly (no Redis
    round trip between the commit and them), and Redis carries it to the other processes. Each
    published payload names the hub that sent it (``<origin>\n<event JSON>``), so the hub skips
    its own echo instead of delivering the event twice. Order holds: a process's own events
    reach its sockets in commit order through the loop, the others' in Redis order, and a
    socket that sees a ``seq`` ahead of the one it expects reads the gap from the database.
    """

    CONTROL = "hub:control"
    polls = False  # the other processes' events arrive through Redis

    def __init__(self, url: str | None = None) -> None:
        super().__init__()
        self._url = url or settings.REDIS_URL
        # Lets several deployments (or test runs) share one Redis without hearing each other.
        self._prefix = settings.SCHOOLCHAT_REDIS_PREFIX
        self._publisher: Any = None
        self._publisher_lock = threading.Lock()
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._ready: asyncio.Event | None = None
        self._pending: dict[str, asyncio.Future[None]] = {}
        self._channels: set[str] = set()
        # Names this hub in what it publishes (no newline: it ends at the first one).
        self.origin = uuid.uuid4().hex[:16]

    # --- publishing (sync, any thread) ----------------------------------------------------
    def _client(self) -> Any:
        with self._publisher_lock:
            if self._publisher is None:
                self._publisher = redis.Redis.from_url(
                    self._url, socket_timeout=5, socket_connect_timeout=5,
                    retry_on_timeout=True, health_check_interval=30,
                )
            return self._publisher

    def _payload(self, text: str) -> str:
        return f"{self.origin}\n{text}"

    def _send(self, channel: str, event: Event) -> None:
        text = json.dumps(event)
        self._deliver_here(channel, event, text)
        try:
            self._client().publish(self._prefix + channel, self._payload(text))
        except redis.RedisError:
            metrics.REDIS_ERRORS.labels("publish").inc()
            # The change is committed; subscribers catch up by seq when Redis is back.
            log.warning("publishing to %s failed; clients will resync from the database", channel)

    def publish_many(self, conversation_id: int, events: list[Event]) -> None:
        """Here first, then one round trip to Redis for the whole batch, in order."""
        if len(events) < 2:
            super().publish_many(conversation_id, events)
            return
        channel = f"conv:{conversation_id}"
        texts = [json.dumps(event) for event in events]
        for event, text in zip(events, texts, strict=True):
            self._deliver_here(channel, event, text)
        try:
            pipe = self._client().pipeline(transaction=False)
            for text in texts:
                pipe.publish(self._prefix + channel, self._payload(text))
            pipe.execute()
        except redis.RedisError:
            metrics.REDIS_ERRORS.labels("publish").inc()
            log.warning("publishing %d events to conv:%s failed; clients will resync from the "
                        "database", len(events), conversation_id)

    # --- subscribing (on the loop) ------------------------------------------------------
    async def _ensure_reader(self) -> None:
        if self._reader is None or self._reader.done():
            self._ready = asyncio.Event()
            self._reader = asyncio.get_running_loop().create_task(self._run())
        assert self._ready is not None
        await self._ready.wait()

    async def _subscribe(self, channel: str) -> None:
        self._channels.add(channel)
        await self._ensure_reader()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending[channel] = future
        try:
            await self._pubsub.subscribe(self._prefix + channel)
            # The confirmation comes back through the reader; after it, no event is missed.
            await asyncio.wait_for(asyncio.shield(future), timeout=5)
        except Exception:
            # Redis is down: the reader resubscribes every channel and resyncs on reconnect.
            log.warning("subscribing to %s failed; will retry on reconnect", channel)
        finally:
            self._pending.pop(channel, None)

    async def _unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.unsubscribe(self._prefix + channel)

    async def _connect(self) -> None:
        # No socket timeout on the subscriber: it blocks reading for as long as the room is quiet.
        # Health checks (PING) detect a dead connection instead.
        client = aredis.Redis.from_url(
            self._url, socket_timeout=None, socket_connect_timeout=5, health_check_interval=15
        )
        pubsub = client.pubsub()
        await pubsub.subscribe(
            self._prefix + self.CONTROL, *sorted(self._prefix + c for c in self._channels)
        )
        self._pubsub = pubsub

    async def _run(self) -> None:
        backoff = 0.1
        connected_before = False
        while True:
            try:
                await self._connect()
                backoff = 0.1
                if connected_before:
                    # Events may have been published while we were away: every local socket
                    # rereads what it missed from the database.
                    self._fanout_all({"type": "_resync"})
                connected_before = True
                assert self._ready is not None
                self._ready.set()
                async for message in self._pubsub.listen():
                    self._on_message(message)
            except asyncio.CancelledError:
                raise
            except (redis.RedisError, OSError) as exc:
                metrics.REDIS_ERRORS.labels("subscribe").inc()
                log.warning("hub lost Redis (%s); reconnecting in %.1fs", exc, backoff)
            if self._pubsub is not None:
                with contextlib.suppress(Exception):
                    await self._pubsub.aclose()
                self._pubsub = None
            # Let waiting subscribers proceed; they resync when the reader is back.
            assert self._ready is not None
            self._ready.set()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
            self._ready = asyncio.Event()

    def _on_message(self, message: dict[str, Any]) -> None:
        channel = message["channel"]
        if isinstance(channel, bytes):
            channel = channel.decode()
        channel = channel.removeprefix(self._prefix)
        if message["type"] == "subscribe":
            future = self._pending.get(channel)
            if future is not None and not future.done():
                future.set_result(None)
            return
        if message["type"] != "message" or channel == self.CONTROL:
            return
        data = message["data"]
        try:
            payload = data.decode() if isinstance(data, bytes) else str(data)
            origin, newline, text = payload.partition("\n")
            if not newline:
                origin, text = "", payload  # plain JSON: not from a hub
            if origin == self.origin:
                return  # this process's own event: its sockets had it on commit
            event = json.loads(text)
        except (TypeError, ValueError):
            log.warning("ignoring a malformed event on %s", channel)
            return
        if not isinstance(event, dict):
            log.warning("ignoring a malformed event on %s", channel)
            return
        self._fanout(channel, event, text)


def on_sessions_ended(sender: Any, user_id: int, session_key: str | None = None,
                      reason: str = "", **kwargs: Any) -> None:
    """``accounts.sessions.sessions_ended``: the ended sessions' sockets close everywhere."""
    get_hub().disconnect_user(user_id, session_key=session_key, reason=reason)


_hub: LocalHub | None = None
_hub_lock = threading.Lock()


def get_hub() -> LocalHub:
    """This process's hub, built on first use from ``settings.SCHOOLCHAT_HUB``."""
    global _hub
    with _hub_lock:
        if _hub is None:
            _hub = import_string(settings.SCHOOLCHAT_HUB)()
        return _hub


def reset_hub() -> None:
    """Forget this process's hub (tests switch between hubs and event loops)."""
    global _hub
    with _hub_lock:
        _hub = None
