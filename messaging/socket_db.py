"""The database side of the websocket protocol (docs/protocol.md).

Each function here is one ``database_sync_to_async`` call of :class:`messaging.consumers.ChatConsumer`:
it reads or calls the same actions as the HTTP views, and answers in plain values (a close
code, the contents of a frame, a refusal), so the consumer itself only speaks the protocol.
The sends go through the group-commit writer instead (:mod:`messaging.writer`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.crypto import constant_time_compare

from accounts.models import User
from accounts.ratelimit import RateLimited
from messaging import hours
from messaging.access import readable_conversation_or_none, readable_conversations
from messaging.actions import oversight
from messaging.actions.send import ConfirmationRequired
from messaging.events import HELD_MESSAGE, logged_event, own_held_event, public
from messaging.models import Event, Message
from messaging.verbs import VerbFrame

# Close codes (4000-4999 are the application's own).
CLOSE_UNAUTHENTICATED = 4401  # not signed in, or the session ended: log in again
CLOSE_DEACTIVATED = 4403
BACKLOG_BATCH = 200


@database_sync_to_async
def active_user(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()


@database_sync_to_async
def session_problem(user_id: int, session_key: str | None) -> int | None:
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
def conversation_head(user: User, conversation_id: int, *, opening: bool = False) -> int | None:
    """The newest seq when the user may read the conversation, else None. ``opening``: the
    user opens it (a subscribe), so a lead's look is put on record as the page's is."""
    conversation = readable_conversation_or_none(user, conversation_id)
    if conversation is None:
        return None
    if opening:
        oversight.note_lead_read(user, conversation)
    return conversation.last_seq


@database_sync_to_async
def inbox_heads(user: User) -> dict[int, int]:
    """The newest seq of every conversation the user may read (what the inbox lists)."""
    return dict(readable_conversations(user).values_list("pk", "last_seq"))


@database_sync_to_async
def events_after(conversation_id: int, after_seq: int, upto: int | None,
                 viewer: int | None = None) -> list[dict[str, Any]]:
    # Uses index: messaging_event_seq.
    rows = Event.objects.filter(conversation_id=conversation_id, seq__gt=after_seq)
    if upto is not None:
        rows = rows.filter(seq__lt=upto)
    rows = rows.select_related(
        "message__sender", "message__reply_to__sender"
    ).prefetch_related("message__attachments").order_by("seq")[:BACKLOG_BATCH]
    # Plain dicts from here on: the consumer handles them as it handles the hub's.
    return [dict(logged_event(e, viewer)) for e in rows]


@database_sync_to_async
def own_held(event: dict[str, Any], viewer: int) -> dict[str, Any]:
    """A held message's ``skip`` as its sender's socket is sent it: the held message while it
    is still held at that seq, else the plain ``skip``."""
    message = (Message.objects.filter(pk=int(event.get(HELD_MESSAGE) or 0))
               .select_related("sender", "reply_to__sender").prefetch_related("attachments")
               .first())
    shown = own_held_event(message, event["seq"], viewer) if message is not None else None
    return dict(shown) if shown is not None else public(event)


@dataclass(frozen=True, slots=True)
class Refusal:
    """What the socket answers instead of an ack: an ``error`` frame's ``code`` and sentence,
    and its extra fields (``recipients``, ``retry_after``)."""

    code: str
    text: str
    extra: Mapping[str, Any] = field(default_factory=dict)


def refusal(exc: Exception) -> Refusal:
    if isinstance(exc, PermissionDenied):
        return Refusal("forbidden", str(exc))
    assert isinstance(exc, ValidationError)
    extra: dict[str, Any] = {}
    if isinstance(exc, ConfirmationRequired):
        extra["recipients"] = exc.recipients
    if isinstance(exc, RateLimited):
        extra["retry_after"] = exc.retry_after  # the send was not stored; resend after it
    return Refusal(exc.code or "invalid", " ".join(exc.messages), extra)


NOT_FOUND = Refusal("not_found", "No such conversation.")
NO_MESSAGE = Refusal("not_found", "No such message.")


@database_sync_to_async
def schedule(user_id: int) -> hours.Schedule | None:
    """A staff member's office hours (for quiet notifications); None for everyone else."""
    user = User.objects.filter(pk=user_id).select_related("school").first()
    return hours.schedule_for(user) if user is not None and user.is_school_staff else None


@database_sync_to_async
def act(user_id: int, frame: VerbFrame[Any, Any]) -> Refusal | None:
    """A verb of :data:`messaging.verbs.VERBS`: the same action as the page's; None when done."""
    verb = frame.verb
    user = User.objects.filter(pk=user_id, is_active=True).first()
    target = verb.find(user, frame.conversation, frame.message) if user is not None else None
    if user is None or target is None:
        return NO_MESSAGE if verb.on_message else NOT_FOUND
    try:
        verb.act(user, target, frame.argument)
    except (PermissionDenied, ValidationError) as exc:
        return refusal(exc)
    return None
