"""The websocket consumer: one socket per browser tab, carrying every conversation it opened.

The protocol is in docs/protocol.md. The consumer parses, asks ``can()`` and calls the same
actions as the HTTP views, so permission and validation cannot differ between the two paths.

Everything sent to the browser about a conversation goes through one queue drained by one
task, in ``seq`` order, with no duplicates: live events from the hub, the backlog read from the
database on subscribe and after a resync, and any gap the live stream showed. The queue is
bounded; a socket that falls that far behind is closed and resumes on reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import weakref
from importlib import import_module
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts.models import User
from accounts.ratelimit import RateLimited
from messaging import actions, hours, hub, wire
from messaging.access import (
    readable_conversation_or_none,
    readable_message_or_none,
    remembered_permissions,
)
from messaging.events import logged_event
from messaging.models import Event

log = logging.getLogger(__name__)

# Close codes (4000-4999 are the application's own).
CLOSE_UNAUTHENTICATED = 4401  # not signed in, or the session ended: log in again
CLOSE_DEACTIVATED = 4403
CLOSE_TOO_SLOW = 4408
CLOSE_SERVER_ERROR = 1011
# Sends of one socket being written at once (they share a commit); past it the socket waits.
MAX_SENDS_IN_FLIGHT = 16
BACKLOG_BATCH = 200
# Events in a conversation's seq order (replayed on resume); the others are hints that may drop.
SEQUENCED = frozenset({"message", "edited", "retracted", "pinned", "attachment_hidden"})
HINTS = frozenset({"receipt", "acknowledged"})


@database_sync_to_async
def _active_user(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()


@database_sync_to_async
def _session_problem(user_id: int, session_key: str | None) -> int | None:
    """The close code when the socket's session no longer stands, else None.

    Read from the session store itself, so a logout, a session deleted by an admin action,
    an expiry (or an idle timeout moving ``expire_date``) and a changed password all count.
    """
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.is_active:
        return CLOSE_DEACTIVATED
    if session_key is None:
        return None  # authenticated without a session (in-process tests only)
    data = import_module(settings.SESSION_ENGINE).SessionStore(session_key).load()
    if str(data.get(SESSION_KEY)) != str(user_id):
        return CLOSE_UNAUTHENTICATED
    if not constant_time_compare(str(data.get(HASH_SESSION_KEY, "")),
                                 user.get_session_auth_hash()):
        return CLOSE_UNAUTHENTICATED
    return None


@database_sync_to_async
def _conversation_head(user: User, conversation_id: int) -> int | None:
    """The newest seq when the user may read the conversation, else None."""
    conversation = readable_conversation_or_none(user, conversation_id)
    return None if conversation is None else conversation.last_seq


@database_sync_to_async
def _events_after(conversation_id: int, after_seq: int, upto: int | None) -> list[dict[str, Any]]:
    # Uses index: messaging_event_seq.
    rows = Event.objects.filter(conversation_id=conversation_id, seq__gt=after_seq)
    if upto is not None:
        rows = rows.filter(seq__lt=upto)
    rows = rows.select_related(
        "message__sender", "message__reply_to__sender"
    ).prefetch_related("message__attachments").order_by("seq")[:BACKLOG_BATCH]
    return [logged_event(e) for e in rows]


def _refusal(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, PermissionDenied):
        return {"code": "forbidden", "text": str(exc)}
    assert isinstance(exc, ValidationError)
    refusal: dict[str, Any] = {"code": exc.code or "invalid", "text": " ".join(exc.messages)}
    if isinstance(exc, actions.ConfirmationRequired):
        refusal["recipients"] = exc.recipients
    if isinstance(exc, RateLimited):
        refusal["retry_after"] = exc.retry_after  # the send was not stored; resend after it
    return refusal


NOT_FOUND = {"code": "not_found", "text": "No such conversation."}
NO_MESSAGE = {"code": "not_found", "text": "No such message."}


def _draft(user: User, conversation: Any, content: dict[str, Any],
           client_id: uuid.UUID) -> actions.Draft | None:
    """The draft a ``send`` frame describes; None when it replies to a message the user
    cannot see. Raises ``ValidationError`` for malformed attachments."""
    reply_to = None
    if content.get("reply_to") is not None:
        reply_to = readable_message_or_none(user, _int(content.get("reply_to")) or 0)
        if reply_to is None or reply_to.conversation_id != conversation.pk:
            return None
    return actions.Draft(
        user, content.get("body"), client_id=client_id, reply_to=reply_to,
        urgent=content.get("urgent") is True, confirm=content.get("confirm") is True,
        ack_requested=content.get("ack_requested") is True,
        attachments=_attachments(user, content.get("attachments")),
    )


Send = tuple[int, int, dict[str, Any], uuid.UUID]  # user id, conversation id, frame, client_id
Answer = dict[str, Any] | Exception


@database_sync_to_async
def _post_batch(sends: list[Send]) -> list[Answer]:
    """Check and store every send of a batch: one transaction per conversation.

    Each send gets its own answer: ``{"id", "seq", "away"}``, a refusal ``{"code", "text"}``,
    or the exception that failed its conversation's transaction.
    """
    # Storing messages changes no membership: each sender's permissions are read once.
    with remembered_permissions():
        return _post_batch_checked(sends)


def _post_batch_checked(sends: list[Send]) -> list[Answer]:
    users = {u.pk: u for u in User.objects.filter(pk__in={s[0] for s in sends}, is_active=True)
             .select_related("school")}
    readable: dict[tuple[int, int], Any] = {}
    results: list[Answer | None] = [None] * len(sends)
    drafts: dict[int, list[tuple[int, actions.Draft]]] = {}
    conversations: dict[int, Any] = {}
    for index, (user_id, conversation_id, content, client_id) in enumerate(sends):
        user = users.get(user_id)
        key = (user_id, conversation_id)
        if key not in readable:
            readable[key] = (readable_conversation_or_none(user, conversation_id)
                             if user is not None else None)
        if user is None or readable[key] is None:
            results[index] = NOT_FOUND
            continue
        # One object per conversation, so the seq it holds stays current across senders.
        conversation = conversations.setdefault(conversation_id, readable[key])
        try:
            draft = _draft(user, conversation, content, client_id)
        except ValidationError as exc:
            results[index] = _refusal(exc)
            continue
        if draft is None:
            results[index] = NO_MESSAGE
            continue
        drafts.setdefault(conversation_id, []).append((index, draft))
    for conversation_id, items in drafts.items():
        conversation = conversations[conversation_id]
        try:
            outcomes = actions.post_messages(conversation, [draft for _, draft in items])
        except Exception as exc:  # this conversation's transaction failed; others stand
            log.exception("storing %d messages in conversation %s failed",
                          len(items), conversation_id)
            for index, _unused in items:
                results[index] = exc
            continue
        away: dict[int, list[dict[str, Any]]] = {}
        for (index, draft), outcome in zip(items, outcomes, strict=True):
            if isinstance(outcome, Exception):
                results[index] = _refusal(outcome)
                continue
            message, _created = outcome
            if draft.sender.pk not in away:
                away[draft.sender.pk] = hours.staff_away(draft.sender, conversation)
            results[index] = {"id": message.pk, "seq": message.seq,
                              "away": away[draft.sender.pk]}
    assert all(result is not None for result in results)
    return results  # type: ignore[return-value]


class PostWriter:
    """Group commit for the sends of this process's sockets.

    Sends wait in one queue; one batch at a time is checked and stored (one transaction per
    conversation), and the sends that arrived meanwhile form the next batch. An idle
    conversation's send is written at once, alone; a busy one's share one lock, one seq range
    and one commit. Database work runs on one thread per process anyway (Channels'
    ``database_sync_to_async`` is thread-sensitive), so this is what lets it keep up.
    """

    MAX_BATCH = 200

    def __init__(self) -> None:
        self._pending: list[tuple[Send, asyncio.Future[Answer]]] = []
        self._task: asyncio.Task[None] | None = None

    async def post(self, send: Send) -> Answer:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Answer] = loop.create_future()
        self._pending.append((send, future))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run())
        # A socket that closes while waiting cancels only its wait: the batch is still written,
        # and a retry with the same client_id finds the stored message.
        return await future

    async def _run(self) -> None:
        while self._pending:
            batch = self._pending[: self.MAX_BATCH]
            del self._pending[: self.MAX_BATCH]
            try:
                results = await _post_batch([send for send, _future in batch])
            except Exception as exc:
                results = [exc] * len(batch)
            for (_send, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)


_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, PostWriter] = (
    weakref.WeakKeyDictionary())


def post_writer() -> PostWriter:
    """This event loop's writer (one per process; tests run several loops one after another)."""
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = PostWriter()
    return writer


@database_sync_to_async
def _schedule(user_id: int) -> hours.Schedule | None:
    """A staff member's office hours (for quiet notifications); None for everyone else."""
    user = User.objects.filter(pk=user_id).select_related("school").first()
    return hours.schedule_for(user) if user is not None and user.is_school_staff else None


def _attachments(user: User, raw: Any) -> list[Any]:
    if not raw:
        return []
    from messaging.attachments import claimable

    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        raise ValidationError("attachments must be a list of tokens.", code="malformed")
    return claimable(user, raw)


@database_sync_to_async
def _on_message(user_id: int, conversation_id: int, message_id: int, verb: str,
                content: dict[str, Any]) -> dict[str, Any]:
    """Edit, retract or acknowledge a message: the same actions as the HTTP views."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    message = readable_message_or_none(user, message_id) if user else None
    if user is None or message is None or message.conversation_id != conversation_id:
        return NO_MESSAGE
    try:
        if verb == "edit":
            message = actions.edit_message(user, message, content.get("body"))
        elif verb == "retract":
            message = actions.retract_message(user, message)
        elif verb == "pin":
            message = actions.pin_message(user, message, content.get("pinned", True) is not False)
        else:
            actions.acknowledge(user, message)
    except (PermissionDenied, ValidationError) as exc:
        return _refusal(exc)
    return {"id": message.pk}


@database_sync_to_async
def _seen(user_id: int, conversation_id: int, seq: int) -> None:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    conversation = readable_conversation_or_none(user, conversation_id) if user else None
    if user is not None and conversation is not None:
        actions.mark_seen(user, conversation, seq)


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


class ChatConsumer(AsyncJsonWebsocketConsumer):
    user_id: int

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
        self.queue: asyncio.Queue[tuple[dict[str, Any], wire.Frame | None]] = asyncio.Queue(
            maxsize=settings.SCHOOLCHAT_SOCKET_QUEUE
        )
        # conversation id -> the seq of the last message sent to this socket
        self.last_sent: dict[int, int] = {}
        self.closing = False
        self.busy = False  # the drainer is handling an event (maybe waiting for the database)
        self.sends: set[asyncio.Task[None]] = set()
        self.hub = hub.get_hub()
        # Staff: their office hours, so messages outside them arrive marked "quiet".
        self.schedule = await _schedule(user.pk) if user.is_school_staff else None
        await self.accept()
        # Under daphne on plain TCP: frames encoded once per process go straight to the socket.
        self.writer = wire.direct_writer(self.base_send, settings.SCHOOLCHAT_SOCKET_BUFFER_BYTES)
        await self.hub.attach(self)
        self.drainer = asyncio.get_running_loop().create_task(self._drain())
        self.checker = asyncio.get_running_loop().create_task(self._recheck())
        await self.send_json({"type": "hello", "user": {"id": user.pk, "name": user.public_name}})

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "user_id"):
            return
        self.closing = True
        await self.hub.detach(self)
        # A send already handed to the writer is still stored; only its ack is dropped.
        for task in list(getattr(self, "sends", ())):
            task.cancel()
        for task in (getattr(self, "checker", None), getattr(self, "drainer", None)):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

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
        # The common case, written at once: the next event of a conversation, nothing queued
        # before it, and the bytes every member gets.
        if (frame is not None and self.writer is not None and not self.busy
                and self.queue.empty() and self._write_now(event, frame)):
            return
        try:
            self.queue.put_nowait((event, frame))
        except asyncio.QueueFull:
            # Never let a slow client grow the server's memory: drop it; it resumes by seq.
            self._too_slow("send queue full")

    def _write_now(self, event: dict[str, Any], frame: wire.Frame) -> bool:
        """Write an in-order event without the queue; False when it needs the drainer."""
        assert self.writer is not None
        kind = event.get("type")
        last = self.last_sent.get(event.get("conversation"))  # type: ignore[arg-type]
        if kind in HINTS:
            if last is not None and not self.writer(frame):
                self._too_slow("socket buffer full")
            return True
        if kind not in SEQUENCED or last is None or self._quiet(event):
            return False
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

    async def _recheck(self) -> None:
        """Every ``SCHOOLCHAT_SOCKET_RECHECK_SECONDS``: does the session still stand?

        Session ends are also announced (and close the socket at once); this catches what no
        announcement covers: an expiry, a session deleted from the store directly, a lost
        Redis message.
        """
        while not self.closing:
            await asyncio.sleep(settings.SCHOOLCHAT_SOCKET_RECHECK_SECONDS)
            try:
                code = await _session_problem(self.user_id, self.session_key)
            except Exception:  # the database is away: check again next time
                log.warning("checking the session of a socket of user %s failed", self.user_id)
                continue
            if code is not None:
                self._close_now(code, "session no longer valid")

    def _quiet(self, event: dict[str, Any]) -> bool:
        """A message that reaches staff outside their office hours: shown, no notification."""
        return (self.schedule is not None and event.get("type") == "message"
                and not event.get("urgent") and not self.schedule.is_open(timezone.now()))

    async def _write(self, event: dict[str, Any], frame: wire.Frame | None) -> None:
        if frame is None:
            await self.send_json(event)
        elif self.writer is None:
            await self.send(text_data=frame.text)
        elif not self.writer(frame):
            self._too_slow("socket buffer full")

    async def _drain(self) -> None:
        while True:
            event, frame = await self.queue.get()
            self.busy = True
            try:
                await self._handle_event(event, frame)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("handling %s for user %s failed", event.get("type"), self.user_id)
            finally:
                self.busy = False

    async def _handle_event(self, event: dict[str, Any], frame: wire.Frame | None = None) -> None:
        kind = event.get("type")
        if kind in SEQUENCED:
            await self._send_sequenced(event, frame)
        elif kind in HINTS:
            if event.get("conversation") in self.last_sent:
                await self._write(event, frame)
        elif kind == "_resume":
            await self._resume(event["conversation"], event["after_seq"], announce=True)
        elif kind == "_resync":
            for conversation_id, last in list(self.last_sent.items()):
                await self._resume(conversation_id, last, announce=False)
        elif kind == "_membership":
            await self._membership_changed(event)

    async def _send_sequenced(self, event: dict[str, Any], frame: wire.Frame | None) -> None:
        conversation_id, seq = event["conversation"], event["seq"]
        last = self.last_sent.get(conversation_id)
        if last is None or seq <= last:
            return  # not subscribed yet (the backlog read will include it) or already sent
        if seq > last + 1:
            # A gap: events were lost on the way. The database has them.
            for missed in await _events_after(conversation_id, last, seq):
                await self._send_in_order(missed)
        await self._send_in_order(event, frame)

    async def _send_in_order(self, event: dict[str, Any], frame: wire.Frame | None = None) -> None:
        conversation_id = event["conversation"]
        if event["seq"] <= self.last_sent.get(conversation_id, 0):
            return
        if self._quiet(event):
            event, frame = event | {"quiet": True}, None  # shown, but no notification
        await self._write(event, frame)
        self.last_sent[conversation_id] = event["seq"]

    async def _resume(self, conversation_id: int, after_seq: int, *, announce: bool) -> None:
        self.last_sent.setdefault(conversation_id, after_seq)
        while True:
            batch = await _events_after(conversation_id, self.last_sent[conversation_id], None)
            for missed in batch:
                await self._send_in_order(missed)
            if len(batch) < BACKLOG_BATCH:
                break
        if announce:
            await self.send_json({
                "type": "subscribed",
                "conversation": conversation_id,
                "seq": self.last_sent[conversation_id],
            })

    async def _membership_changed(self, event: dict[str, Any]) -> None:
        conversation_id = event["conversation"]
        if event.get("action") == "removed" and conversation_id in self.last_sent:
            await self.hub.leave(conversation_id, self)
            del self.last_sent[conversation_id]
            await self.send_json({"type": "removed", "conversation": conversation_id})
        elif event.get("action") == "added":
            await self.send_json({"type": "added", "conversation": conversation_id})

    # --- from the browser ---------------------------------------------------------------
    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self._error("malformed", "Expected a JSON object.")
            return
        handler = {
            "subscribe": self._subscribe,
            "send": self._send,
            "edit": self._edit,
            "retract": self._retract,
            "acknowledge": self._acknowledge,
            "pin": self._pin,
            "seen": self._mark_seen,
            "ping": self._ping,
        }.get(content.get("type"))  # type: ignore[arg-type]
        if handler is None:
            await self._error("unknown_type", "Unknown message type.", ref=content.get("type"))
            return
        await handler(content)

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

    async def _ping(self, content: dict[str, Any]) -> None:
        await self.send_json({"type": "pong"})

    async def _subscribe(self, content: dict[str, Any]) -> None:
        conversation_id = _int(content.get("conversation"))
        after_seq = _int(content.get("after_seq", 0))
        if conversation_id is None or after_seq is None:
            await self._error("malformed", "subscribe needs conversation and after_seq.")
            return
        user = await _active_user(self.user_id)
        head = None if user is None else await _conversation_head(user, conversation_id)
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
        self.deliver({"type": "_resume", "conversation": conversation_id,
                      "after_seq": min(after_seq, head)})

    async def _send(self, content: dict[str, Any]) -> None:
        conversation_id = _int(content.get("conversation"))
        raw_client_id = content.get("client_id")
        try:
            client_id = uuid.UUID(str(raw_client_id))
        except ValueError:
            client_id = None
        if conversation_id is None or client_id is None:
            await self._error("malformed", "send needs conversation and a UUID client_id.",
                              client_id=raw_client_id)
            return
        # Reading goes on while a send is written, so a socket's sends in flight can share one
        # commit; their number is bounded, and past it the socket is not read (backpressure).
        while len(self.sends) >= MAX_SENDS_IN_FLIGHT:
            await asyncio.wait(self.sends, return_when=asyncio.FIRST_COMPLETED)
        task = asyncio.get_running_loop().create_task(
            self._post_and_ack(conversation_id, content, client_id))
        self.sends.add(task)
        task.add_done_callback(self.sends.discard)

    async def _post_and_ack(self, conversation_id: int, content: dict[str, Any],
                            client_id: uuid.UUID) -> None:
        result = await post_writer().post((self.user_id, conversation_id, content, client_id))
        if isinstance(result, Exception):
            # Not the sender's fault and maybe not stored: no ack. The client reconnects and
            # retries with the same client_id, which cannot store it twice.
            log.error("a send of user %s failed: %r", self.user_id, result)
            await self.close(code=CLOSE_SERVER_ERROR)
            return
        if "id" not in result:
            extra = {k: v for k, v in result.items() if k not in ("code", "text")}
            await self._error(result["code"], result["text"],
                              client_id=str(client_id), conversation=conversation_id, **extra)
            return
        # Sent only after the commit: an ack means the message is safe.
        ack = {"type": "ack", "action": "send", "client_id": str(client_id),
               "conversation": conversation_id, "id": result["id"], "seq": result["seq"]}
        if result["away"]:
            ack["away"] = result["away"]
        await self.send_json(ack)

    async def _message_verb(self, verb: str, content: dict[str, Any]) -> None:
        conversation_id = _int(content.get("conversation"))
        message_id = _int(content.get("id"))
        if conversation_id is None or message_id is None:
            await self._error("malformed", f"{verb} needs conversation and id.")
            return
        result = await _on_message(self.user_id, conversation_id, message_id, verb, content)
        if "id" not in result:
            await self._error(result["code"], result["text"], conversation=conversation_id,
                              id=message_id)
            return
        await self.send_json({"type": "ack", "action": verb, "conversation": conversation_id,
                              "id": message_id})

    async def _edit(self, content: dict[str, Any]) -> None:
        await self._message_verb("edit", content)

    async def _retract(self, content: dict[str, Any]) -> None:
        await self._message_verb("retract", content)

    async def _pin(self, content: dict[str, Any]) -> None:
        await self._message_verb("pin", content)

    async def _acknowledge(self, content: dict[str, Any]) -> None:
        await self._message_verb("acknowledge", content)

    async def _mark_seen(self, content: dict[str, Any]) -> None:
        conversation_id = _int(content.get("conversation"))
        seq = _int(content.get("seq"))
        if conversation_id is None or seq is None:
            await self._error("malformed", "seen needs conversation and seq.")
            return
        await _seen(self.user_id, conversation_id, seq)
