"""The database side of the websocket protocol (docs/protocol.md).

Each function here is one ``database_sync_to_async`` call of :class:`messaging.consumers.ChatConsumer`:
it reads or calls the same actions as the HTTP views, and answers in plain values (a close
code, the contents of a frame, a refusal), so the consumer itself only speaks the protocol.
The sends go through the group-commit writer instead (:mod:`messaging.writer`).
"""

from __future__ import annotations

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
from messaging.access import (
    readable_conversation_or_none,
    readable_conversations,
    readable_message_or_none,
)
from messaging.actions import edit, oversight, receipts, sensitive
from messaging.actions.send import ConfirmationRequired
from messaging.events import HELD_MESSAGE, logged_event, own_held_event, public
from messaging.models import Event, Message

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
    return [logged_event(e, viewer) for e in rows]


@database_sync_to_async
def own_held(event: dict[str, Any], viewer: int) -> dict[str, Any]:
    """A held message's ``skip`` as its sender's socket is sent it: the held message while it
    is still held at that seq, else the plain ``skip``."""
    message = (Message.objects.filter(pk=int(event.get(HELD_MESSAGE) or 0))
               .select_related("sender", "reply_to__sender").prefetch_related("attachments")
               .first())
    shown = own_held_event(message, event["seq"], viewer) if message is not None else None
    return shown or public(event)


def refusal(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, PermissionDenied):
        return {"code": "forbidden", "text": str(exc)}
    assert isinstance(exc, ValidationError)
    refusal: dict[str, Any] = {"code": exc.code or "invalid", "text": " ".join(exc.messages)}
    if isinstance(exc, ConfirmationRequired):
        refusal["recipients"] = exc.recipients
    if isinstance(exc, RateLimited):
        refusal["retry_after"] = exc.retry_after  # the send was not stored; resend after it
    return refusal


NOT_FOUND = {"code": "not_found", "text": "No such conversation."}
NO_MESSAGE = {"code": "not_found", "text": "No such message."}


@database_sync_to_async
def schedule(user_id: int) -> hours.Schedule | None:
    """A staff member's office hours (for quiet notifications); None for everyone else."""
    user = User.objects.filter(pk=user_id).select_related("school").first()
    return hours.schedule_for(user) if user is not None and user.is_school_staff else None


@database_sync_to_async
def on_message(user_id: int, conversation_id: int, message_id: int, verb: str,
                content: dict[str, Any]) -> dict[str, Any]:
    """Edit, retract or acknowledge a message: the same actions as the HTTP views."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    message = readable_message_or_none(user, message_id) if user else None
    if user is None or message is None or message.conversation_id != conversation_id:
        return NO_MESSAGE
    try:
        if verb == "edit":
            message = edit.edit_message(user, message, content.get("body"))
        elif verb == "retract":
            message = edit.retract_message(user, message)
        elif verb == "pin":
            message = edit.pin_message(user, message, content.get("pinned", True) is not False)
        elif verb == "mark_sensitive":
            message = sensitive.mark_sensitive(user, message, content.get("sensitive"))
        else:
            receipts.acknowledge(user, message)
    except (PermissionDenied, ValidationError) as exc:
        return refusal(exc)
    return {"id": message.pk}


@database_sync_to_async
def seen(user_id: int, conversation_id: int, seq: int) -> None:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    conversation = readable_conversation_or_none(user, conversation_id) if user else None
    if user is not None and conversation is not None:
        receipts.mark_seen(user, conversation, seq)
