"""The websocket consumer: one socket per browser tab, carrying every conversation it opened.

The protocol is in docs/protocol.md. The consumer parses, asks ``can()`` and calls the same
actions as the HTTP views, so permission and validation cannot differ between the two paths:
its database calls are :mod:`messaging.socket_db`, its sends go through this process's
group-commit writer (:mod:`messaging.writer`).

Everything sent to the browser about a conversation goes through one queue drained by one
task, in ``seq`` order, with no duplicates: live events from the hub, the backlog read from the
database on subscribe and after a resync, and any gap the live stream showed. The queue is
bounded; a socket that falls that far behind is closed and resumes on reconnect.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import logging
import time
import weakref
from typing import Any

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from messaging import frames, hub, presence, socket_db, socket_slots, wire
from messaging.events import HELD_BY, HINTS, SEQUENCED, public
from messaging.socket_db import CLOSE_DEACTIVATED, CLOSE_UNAUTHENTICATED, Refusal
from messaging.verbs import Malformed, VerbFrame
from messaging.writer import Post, post_writer
from observability import metrics

log = logging.getLogger(__name__)

# Close codes: the websocket stack (autobahn, under daphne) sends only 1000 and 3000-4999, so
# the application's own are 4000-4999 (the session's are in socket_db; docs/protocol.md).
CLOSE_TOO_SLOW = 4408
# A send the server could not store answers this (with the send's client_id) instead of an
# ack: nothing was stored, or the stored copy is found again; resend after ``retry_after``.
UNAVAILABLE = "unavailable"
UNAVAILABLE_RETRY_AFTER = 1
# Sends of one socket being written at once (they share a commit); past it the socket waits.
MAX_SENDS_IN_FLIGHT = 16


Queued = tuple[dict[str, Any], wire.Frame | None]


class ChatConsumer(AsyncJsonWebsocketConsumer):
    """One socket. An idle one holds no task and no queue of its own (docs/performance.md,
    "Memory per idle socket"): frames are read by Channels' loop below, the queue and its
    drainer exist only while events wait, and its session is rechecked by this process's
    :class:`Rechecker` with all the others."""

    user_id: int

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Channels' ``__call__`` for a project without a channel layer (the hub carries the
        events): each frame is awaited and dispatched in turn, as Channels does, but without
        a task and a ``wait()`` per socket around the next ``receive()``."""
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        with contextlib.suppress(StopConsumer):
            while True:
                await self.dispatch(await receive())

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch, without its ``aclose_old_connections()`` before every frame.

        That call runs on the one database thread, so each frame a socket sent waited behind
        whatever database work the process was doing: a socket could never have two sends in
        flight. Every database call here goes through ``database_sync_to_async``, which closes
        stale connections itself before and after it runs.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id = user.pk
        # The session the socket was opened with: it closes when that session ends.
        self.session_key: str | None = getattr(self.scope.get("session"), "session_key", None)
        # Events waiting for the drainer, in order; both exist only while events wait.
        self.queue: collections.deque[Queued] | None = None
        self.drainer: asyncio.Task[None] | None = None
        # conversation id -> the seq of the last message sent to this socket
        self.last_sent: dict[int, int] = {}
        # The inbox page's socket: conversation id -> the newest seq passed on. It hears the
        # new messages, edits and retractions of every conversation its user reads, as they
        # are (the frames every member gets), with nothing replayed: the page reloads its list
        # when the socket comes back.
        self.inbox: dict[int, int] = {}
        self.inbox_open = False
        # What this socket has open on a visible page, for the push sender (heartbeats).
        self.presence = presence.SocketPresence(user.pk)
        self.closing = False
        self.busy = False  # the drainer is handling an event (maybe waiting for the database)
        self.sends: set[asyncio.Task[None]] | None = None  # made by the first send
        self.hub = hub.get_hub()
        self.slot = socket_slots.SocketSlot(user.pk)
        # Staff: their office hours, so messages outside them arrive marked "quiet".
        self.schedule = await socket_db.schedule(user.pk) if user.is_school_staff else None
        await self.accept()
        self.counted = True
        metrics.SOCKETS_OPEN.inc()
        # Under daphne on plain TCP: frames encoded once per process go straight to the socket.
        self.writer = wire.direct_writer(self.base_send, settings.SCHOOLCHAT_SOCKET_BUFFER_BYTES)
        await self.hub.attach(self)
        # One of at most SCHOOLCHAT_SOCKETS_PER_PERSON: past it, the person's oldest closes.
        await self.slot.claim()
        rechecker().watch(self)
        await self.send_json({"type": "hello", "user": {"id": user.pk, "name": user.public_name}})

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "user_id"):
            return
        self.closing = True
        if getattr(self, "counted", False):
            self.counted = False
            metrics.SOCKETS_OPEN.dec()
        await self.hub.detach(self)
        if hasattr(self, "slot"):
            await self.slot.release()
        with contextlib.suppress(Exception):
            await self.presence.clear()
        rechecker().forget(self)
        # A send already handed to the writer is still stored; only its ack is dropped.
        for task in list(getattr(self, "sends", None) or ()):
            task.cancel()
        drainer = getattr(self, "drainer", None)
        if drainer is not None:
            drainer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await drainer

    # --- from the hub -------------------------------------------------------------------
    def deliver(self, event: dict[str, Any], frame: wire.Frame | None = None) -> None:
        if self.closing:
            return
        if event.get("type") == "_disconnect":
            # Ahead of anything queued: nothing more reaches a socket whose session ended.
            session = event.get("session")
            if session is None or session == self.session_key:
                code = (CLOSE_DEACTIVATED if event.get("reason", "deactivated") == "deactivated"
                        else CLOSE_UNAUTHENTICATED)
                self._close_now(code, f"session ended ({event.get('reason', 'deactivated')})")
            return
        if event.get("type") == socket_slots.CLOSE_EVENT:
            # The oldest of its person's sockets, one too many: closed wherever it is.
            if event.get("socket") == self.slot.socket_id:
                self._close_now(socket_slots.CLOSE_TOO_MANY_SOCKETS, "one socket too many")
            return
        # The common case, written at once: the next event of a conversation, nothing queued
        # before it, and the bytes every member gets.
        if (frame is not None and self.writer is not None and not self.busy
                and not self.queue and self._write_now(event, frame)):
            return
        if self.queue is None:
            self.queue = collections.deque()
        if len(self.queue) >= settings.SCHOOLCHAT_SOCKET_QUEUE:
            # Never let a slow client grow the server's memory: drop it; it resumes by seq.
            self._too_slow("send queue full")
            return
        self.queue.append((event, frame))
        if self.drainer is None:
            # In a context of its own: deliver() may run in a callback that the database
            # thread scheduled, whose context says "already on the database thread".
            self.drainer = asyncio.get_running_loop().create_task(
                self._drain(), context=contextvars.Context())

    def _write_now(self, event: dict[str, Any], frame: wire.Frame) -> bool:
        """Write an in-order event without the queue; False when it needs the drainer."""
        assert self.writer is not None
        kind = event.get("type")
        last = self.last_sent.get(event.get("conversation"))  # type: ignore[arg-type]
        if kind in HINTS:
            if last is not None and not self.writer(frame):
                self._too_slow("socket buffer full")
            return True
        if (kind not in SEQUENCED or last is None or self._quiet(event)
                or event.get(HELD_BY) == self.user_id):
            return False  # the drainer writes it (the sender's held message: read first)
        seq = event["seq"]
        if seq <= last:
            return True  # already sent
        if seq != last + 1:
            return False  # a gap: the drainer reads what is missing first
        if not self.writer(frame):
            self._too_slow("socket buffer full")
        self.last_sent[event["conversation"]] = seq
        return True

    def _too_slow(self, why: str) -> None:
        self._close_now(CLOSE_TOO_SLOW, why)

    def _close_now(self, code: int, why: str) -> None:
        if self.closing:
            return
        self.closing = True
        log.info("closing a socket of user %s: %s", self.user_id, why)
        asyncio.get_running_loop().create_task(self.close(code=code))

    def _quiet(self, event: dict[str, Any]) -> bool:
        """A message that reaches staff outside their office hours: shown, no notification."""
        return (self.schedule is not None and event.get("type") == "message"
                and not event.get("urgent") and not self.schedule.is_open(timezone.now()))

    async def _write(self, event: dict[str, Any], frame: wire.Frame | None) -> None:
        if frame is None:
            await self.send_json(public(event))
        elif self.writer is None:
            await self.send(text_data=frame.text)
        elif not self.writer(frame):
            self._too_slow("socket buffer full")

    async def _drain(self) -> None:
        """Write what waits in the queue, in order; ends (and drops the queue) once it is
        empty, and :meth:`deliver` starts it again for the next event that must wait."""
        try:
            while self.queue:
                event, frame = self.queue.popleft()
                self.busy = True
                try:
                    await self._handle_event(event, frame)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("handling %s for user %s failed", event.get("type"),
                                  self.user_id)
                finally:
                    self.busy = False
        finally:
            self.drainer = None
            if not self.queue:
                self.queue = None

    async def _handle_event(self, event: dict[str, Any], frame: wire.Frame | None = None) -> None:
        kind = event.get("type")
        if kind in SEQUENCED and event.get("conversation") not in self.last_sent:
            await self._send_to_inbox(event, frame)
        elif kind in SEQUENCED:
            await self._send_sequenced(event, frame)
        elif kind in HINTS:
            if event.get("conversation") in self.last_sent:
                await self._write(event, frame)
        elif kind == "_resume":
            await self._resume(event["conversation"], event["after_seq"], announce=True)
        elif kind == "_resync":  # of one conversation, or of all of them
            for conversation_id, last in list(self.last_sent.items()):
                if event.get("conversation", conversation_id) == conversation_id:
                    await self._resume(conversation_id, last, announce=False)
            for conversation_id, last in list(self.inbox.items()):
                if event.get("conversation", conversation_id) == conversation_id:
                    for missed in await socket_db.events_after(conversation_id, last, None):
                        await self._send_to_inbox(missed)
        elif kind == "_membership":
            await self._membership_changed(event)

    async def _send_sequenced(self, event: dict[str, Any], frame: wire.Frame | None) -> None:
        conversation_id, seq = event["conversation"], event["seq"]
        last = self.last_sent.get(conversation_id)
        if last is None or seq <= last:
            return  # not subscribed yet (the backlog read will include it) or already sent
        if seq > last + 1:
            # A gap: events were lost on the way. The database has them.
            for missed in await socket_db.events_after(conversation_id, last, seq,
                                                       self.user_id):
                await self._send_in_order(missed)
        await self._send_in_order(event, frame)

    async def _send_in_order(self, event: dict[str, Any], frame: wire.Frame | None = None) -> None:
        conversation_id = event["conversation"]
        if event["seq"] <= self.last_sent.get(conversation_id, 0):
            return
        if event.get(HELD_BY) == self.user_id:
            # The sender's own held message, on this tab too: "Waiting for review".
            event, frame = await socket_db.own_held(event, self.user_id), None
        if self._quiet(event):
            event, frame = event | {"quiet": True}, None  # shown, but no notification
        await self._write(event, frame)
        self.last_sent[conversation_id] = event["seq"]

    async def _resume(self, conversation_id: int, after_seq: int, *, announce: bool) -> None:
        self.last_sent.setdefault(conversation_id, after_seq)
        while True:
            batch = await socket_db.events_after(conversation_id, self.last_sent[conversation_id],
                                                 None, self.user_id)
            for missed in batch:
                await self._send_in_order(missed)
            if len(batch) < socket_db.BACKLOG_BATCH:
                break
        if announce:
            await self.send_json({
                "type": "subscribed",
                "conversation": conversation_id,
                "seq": self.last_sent[conversation_id],
            })

    async def _send_to_inbox(self, event: dict[str, Any], frame: wire.Frame | None = None) -> None:
        """An event of a conversation the inbox lists: passed on once, newest last."""
        conversation_id, seq = event["conversation"], event["seq"]
        last = self.inbox.get(conversation_id)
        if last is None or seq <= last:
            return  # not listed (never read, or left since) or already passed on
        self.inbox[conversation_id] = seq
        await self._write(event, frame)

    async def _membership_changed(self, event: dict[str, Any]) -> None:
        conversation_id = event["conversation"]
        if event.get("action") == "removed" and (conversation_id in self.last_sent
                                                 or conversation_id in self.inbox):
            # Nothing of it reaches this socket from here on, on the chat page or the inbox.
            self.inbox.pop(conversation_id, None)
            self.last_sent.pop(conversation_id, None)
            await self.hub.leave(conversation_id, self)
            await self.send_json({"type": "removed", "conversation": conversation_id})
            await self.presence.beat(self.last_sent)
        elif event.get("action") == "added":
            if self.inbox_open:
                user = await socket_db.active_user(self.user_id)
                head = (None if user is None
                        else await socket_db.conversation_head(user, conversation_id))
                if head is not None and conversation_id not in self.inbox:
                    await self.hub.join(conversation_id, self)
                    self.inbox[conversation_id] = head
            await self.send_json({"type": "added", "conversation": conversation_id})

    # --- from the browser ---------------------------------------------------------------
    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """A decoded frame: parsed once into its type (:mod:`messaging.frames`), then handled.
        A frame that cannot be read is answered with an ``error``; the socket stays open."""
        try:
            frame = frames.parse(content)
        except Malformed as malformed:
            await self._error(malformed.code, malformed.text, **malformed.extra)
            return
        if isinstance(frame, VerbFrame):
            await self._verb(frame)
        elif isinstance(frame, frames.Send):
            await self._send(frame)
        elif isinstance(frame, frames.Ping):
            await self._ping(frame)
        elif isinstance(frame, frames.Subscribe):
            await self._subscribe(frame)
        else:
            await self._open_inbox()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None,
                      **kwargs: Any) -> None:
        if text_data is None:
            await self._error("malformed", "Send JSON text frames.")
            return
        try:
            content = wire.decode_frame(
                text_data, max_bytes=settings.SCHOOLCHAT_SOCKET_FRAME_BYTES,
                max_depth=settings.SCHOOLCHAT_SOCKET_JSON_DEPTH)
        except wire.FrameRefused as refused:
            # Answered, not logged: a browser (or a script) sent something no client sends.
            if refused.code == "too_large":
                await self._error("too_large", "The frame is too large.")
            else:
                await self._error("malformed", "Not valid JSON.")
            return
        await self.receive_json(content)

    async def _error(self, code: str, message: str, **extra: Any) -> None:
        await self.send_json({"type": "error", "code": code, "message": message, **extra})

    async def _ping(self, frame: frames.Ping) -> None:
        """The page's heartbeat: answered at once (the page counts a missing pong as a dead
        socket), and it refreshes what this socket has open on a visible page."""
        await self.send_json({"type": "pong"})
        try:
            await self.presence.beat(self.last_sent, visible=frame.visible,
                                     endpoint=frame.endpoint)
        except Exception:  # Redis or the database away: at worst one push too many
            log.warning("recording the presence of a socket of user %s failed", self.user_id)

    async def _open_inbox(self) -> None:
        """The inbox page: hear every conversation the user reads (and only those)."""
        user = await socket_db.active_user(self.user_id)
        heads = {} if user is None else await socket_db.inbox_heads(user)
        self.inbox_open = True
        for conversation_id, head in heads.items():
            if conversation_id not in self.inbox:
                await self.hub.join(conversation_id, self)
                self.inbox[conversation_id] = head
        await self.send_json({"type": "inbox_subscribed", "conversations": sorted(self.inbox)})

    async def _subscribe(self, frame: frames.Subscribe) -> None:
        conversation_id = frame.conversation
        user = await socket_db.active_user(self.user_id)
        head = (None if user is None
                else await socket_db.conversation_head(user, conversation_id, opening=True))
        if head is None:
            # The same answer whether the conversation is missing or forbidden.
            await self._error("not_found", "No such conversation.", conversation=conversation_id)
            return
        if conversation_id in self.last_sent:
            await self.send_json({"type": "subscribed", "conversation": conversation_id,
                                  "seq": self.last_sent[conversation_id]})
            return
        # Join first, then read the backlog: every event published after join() reaches us,
        # and everything committed before it is in the database, so nothing falls between.
        await self.hub.join(conversation_id, self)
        self.inbox.pop(conversation_id, None)  # from now on sent in order, with the backlog
        self.deliver({"type": "_resume", "conversation": conversation_id,
                      "after_seq": min(frame.after_seq, head)})
        try:
            await self.presence.beat({*self.last_sent, conversation_id})
        except Exception:
            log.warning("recording the presence of a socket of user %s failed", self.user_id)

    async def _send(self, frame: frames.Send) -> None:
        # Reading goes on while a send is written, so a socket's sends in flight can share one
        # commit; their number is bounded, and past it the socket is not read (backpressure).
        if self.sends is None:
            self.sends = set()
        while len(self.sends) >= MAX_SENDS_IN_FLIGHT:
            await asyncio.wait(self.sends, return_when=asyncio.FIRST_COMPLETED)
        task = asyncio.get_running_loop().create_task(self._post_and_ack(frame))
        self.sends.add(task)
        task.add_done_callback(self.sends.discard)

    async def _post_and_ack(self, frame: frames.Send) -> None:
        started = time.monotonic()
        conversation_id, client_id = frame.conversation, str(frame.client_id)
        result = await post_writer().post(Post(self.user_id, frame))
        if isinstance(result, Exception):
            # Not the sender's fault and maybe stored (the writer already tried once more):
            # no ack but a refusal the client retries with the same client_id, which cannot
            # store it twice. The socket stays open.
            log.error("a send of user %s failed: %r", self.user_id, result)
            metrics.SENDS.labels("unavailable").inc()
            await self._error(UNAVAILABLE, "The message could not be stored yet; it is sent again.",
                              client_id=client_id, conversation=conversation_id,
                              retry_after=UNAVAILABLE_RETRY_AFTER)
            return
        if isinstance(result, Refusal):
            metrics.SENDS.labels("refused").inc()
            await self._error(result.code, result.text, client_id=client_id,
                              conversation=conversation_id, **result.extra)
            return
        metrics.SENDS.labels("acked").inc()
        metrics.ACK_SECONDS.observe(time.monotonic() - started)
        # Sent only after the commit: an ack means the message is safe.
        ack: dict[str, Any] = {"type": "ack", "action": "send", "client_id": client_id,
                               "conversation": conversation_id, "id": result.id,
                               "seq": result.seq}
        if result.away:
            ack["away"] = result.away
        if result.held:
            ack["held"] = True  # stored, waiting for the school's review (docs/protocol.md)
        await self.send_json(ack)

    async def _verb(self, frame: VerbFrame[Any, Any]) -> None:
        """A verb of the one table (:data:`messaging.verbs.VERBS`): acked, or refused with the
        message's (or conversation's) id."""
        refused = await socket_db.act(self.user_id, frame)
        if not frame.verb.acked:
            return
        where: dict[str, Any] = {"conversation": frame.conversation}
        if frame.message is not None:
            where["id"] = frame.message
        if refused is not None:
            await self._error(refused.code, refused.text, **where)
            return
        await self.send_json({"type": "ack", "action": frame.verb.name, **where})


class Rechecker:
    """Every ``SCHOOLCHAT_SOCKET_RECHECK_SECONDS``: do the sessions of this process's sockets
    still stand? One round checks all of them at once (``socket_db.session_problems``: one
    query for the accounts, one for the sessions), instead of a task and two queries per socket.

    Session ends are also announced (and close the socket at once); this catches what no
    announcement covers: an expiry, a session deleted from the store directly, a lost Redis
    message.
    """

    def __init__(self) -> None:
        self.sockets: set[ChatConsumer] = set()
        self.task: asyncio.Task[None] | None = None

    def watch(self, socket: ChatConsumer) -> None:
        self.sockets.add(socket)
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._run())

    def forget(self, socket: ChatConsumer) -> None:
        self.sockets.discard(socket)

    async def _run(self) -> None:
        try:
            while self.sockets:
                await asyncio.sleep(settings.SCHOOLCHAT_SOCKET_RECHECK_SECONDS)
                await self.check()
        finally:
            self.task = None

    async def check(self) -> None:
        sockets = [s for s in self.sockets if not s.closing]
        try:
            problems = await socket_db.session_problems({(s.user_id, s.session_key)
                                                         for s in sockets})
        except Exception:  # the database is away: check again next time
            log.warning("checking the sessions of %d sockets failed", len(sockets))
            return
        for socket in sockets:
            code = problems.get((socket.user_id, socket.session_key))
            if code is not None:
                socket._close_now(code, "session no longer valid")


_recheckers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Rechecker] = (
    weakref.WeakKeyDictionary())


def rechecker() -> Rechecker:
    """This event loop's rechecker (one per process; tests run several loops in turn)."""
    loop = asyncio.get_running_loop()
    found = _recheckers.get(loop)
    if found is None:
        found = _recheckers[loop] = Rechecker()
    return found
