"""Group commit for the sends of this process's sockets (docs/architecture.md, "Real-time
delivery"; docs/performance.md).

A socket's ``send`` frame is handed to this process's :class:`PostWriter`; one batch at a time
is checked and stored by ``messaging.actions.send.post_messages`` (one transaction per
conversation), and each send gets its own answer for the consumer to ack or refuse.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError

from accounts.models import User
from messaging import frames, hours
from messaging.access import (
    readable_conversation_or_none,
    readable_message_or_none,
    remember_restrictions,
    remembered_permissions,
)
from messaging.actions import send
from messaging.actions.send import Draft
from messaging.attachments import claimable
from messaging.socket_db import NO_MESSAGE, NOT_FOUND, Refusal, refusal
from observability import metrics

log = logging.getLogger(__name__)


def _draft(user: User, conversation: Any, frame: frames.Send) -> Draft | None:
    """The draft a ``send`` frame describes; None when it replies to a message the user
    cannot see."""
    reply_to = None
    if frame.reply_to is not None:
        reply_to = readable_message_or_none(user, frame.reply_to)
        if reply_to is None or reply_to.conversation_id != conversation.pk:
            return None
    return Draft(
        user, frame.body, client_id=frame.client_id, reply_to=reply_to, urgent=frame.urgent,
        confirm=frame.confirm, ack_requested=frame.ack_requested,
        attachments=claimable(user, list(frame.attachments)) if frame.attachments else [],
        sensitive=frame.sensitive, mentions=frame.mentions,
    )


@dataclass(frozen=True, slots=True)
class Post:
    """One send waiting in the writer's queue: who sends, and their parsed frame."""

    user_id: int
    frame: frames.Send


@dataclass(frozen=True, slots=True)
class Stored:
    """The answer to a stored send: the ack's id and seq, the staff who are away, and whether
    the school's screen held it for review."""

    id: int
    seq: int
    away: list[dict[str, Any]]
    held: bool = False


# A send's answer: stored, refused, or the exception that failed its conversation's transaction.
Answer = Stored | Refusal | Exception


@database_sync_to_async
def _post_batch(sends: list[Post]) -> list[Answer]:
    """Check and store every send of a batch: one transaction per conversation.

    Each send gets its own :data:`Answer`.
    """
    # Storing messages changes no membership: each sender's permissions are read once.
    with remembered_permissions():
        return _post_batch_checked(sends)


def _post_batch_checked(sends: list[Post]) -> list[Answer]:
    users = {u.pk: u for u in User.objects.filter(pk__in={s.user_id for s in sends}, is_active=True)
             .select_related("school")}
    remember_restrictions(users.values())  # one query for every sender's restrictions
    readable: dict[tuple[int, int], Any] = {}
    results: list[Answer | None] = [None] * len(sends)
    drafts: dict[int, list[tuple[int, Draft]]] = {}
    conversations: dict[int, Any] = {}
    for index, post in enumerate(sends):
        user_id, conversation_id = post.user_id, post.frame.conversation
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
            draft = _draft(user, conversation, post.frame)
        except ValidationError as exc:
            results[index] = refusal(exc)
            continue
        if draft is None:
            results[index] = NO_MESSAGE
            continue
        drafts.setdefault(conversation_id, []).append((index, draft))
    for conversation_id, items in drafts.items():
        conversation = conversations[conversation_id]
        try:
            outcomes = send.post_messages(conversation, [draft for _, draft in items])
        except Exception as exc:  # this conversation's transaction failed; others stand
            log.exception("storing %d messages in conversation %s failed",
                          len(items), conversation_id)
            for index, _unused in items:
                results[index] = exc
            continue
        away: dict[int, list[dict[str, Any]]] = {}
        for (index, draft), outcome in zip(items, outcomes, strict=True):
            if isinstance(outcome, Exception):
                results[index] = refusal(outcome)
                continue
            message, _created = outcome
            if draft.sender.pk not in away:
                away[draft.sender.pk] = hours.staff_away(draft.sender, conversation)
            # held: stored, waiting for the school's review
            results[index] = Stored(message.pk, message.seq, away[draft.sender.pk],
                                    held=message.held_at is not None)
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
        self._pending: list[tuple[Post, asyncio.Future[Answer]]] = []
        self._task: asyncio.Task[None] | None = None

    async def post(self, send: Post) -> Answer:
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
            sends = [send for send, _future in batch]
            results = await _answers(sends)
            # A connection that broke under the send (PostgreSQL restarted, a network blip):
            # the next call borrows a fresh one from the pool. Once, with the same client_ids,
            # so a send that did commit before the break is found, not stored again.
            lost = [index for index, result in enumerate(results) if connection_lost(result)]
            if lost:
                log.warning("retrying %d sends after a lost database connection", len(lost))
                metrics.SEND_RETRIES.inc(len(lost))
                for index, result in zip(lost, await _answers([sends[i] for i in lost]),
                                         strict=True):
                    results[index] = result
            for (_send, future), result in zip(batch, results, strict=True):
                if isinstance(result, Exception):
                    metrics.DATABASE_ERRORS.labels(type(result).__name__).inc()
                if not future.done():
                    future.set_result(result)


def connection_lost(result: Answer) -> bool:
    """The send failed because its database connection did, not because of what it says."""
    return isinstance(result, (OperationalError, InterfaceError))


async def _answers(sends: list[Post]) -> list[Answer]:
    try:
        answers: list[Answer] = await _post_batch(sends)
        return answers
    except Exception as exc:  # the whole batch failed (before any conversation's transaction)
        log.warning("a batch of %d sends failed: %r", len(sends), exc)
        return [exc] * len(sends)


_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, PostWriter] = (
    weakref.WeakKeyDictionary())


def post_writer() -> PostWriter:
    """This event loop's writer (one per process; tests run several loops one after another)."""
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = PostWriter()
    return writer
