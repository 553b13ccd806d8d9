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
from django.utils import timezone
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


def _problem(user: User | None, session_key: str | None,
             data: Mapping[str, Any] | None) -> int | None:
    """The close code when a socket's session no longer stands (``data``: the session as
    stored, None when it is gone), else None."""
    if user is None or not user.is_active:
        return CLOSE_DEACTIVATED
    if session_key is None:
        return None  # authenticated without a session (in-process tests only)
    data = data or {}
    if str(data.get(SESSION_KEY)) != str(user.pk):
        return CLOSE_UNAUTHENTICATED
    if not constant_time_compare(str(data.get(HASH_SESSION_KEY, "")),
                                 user.get_session_auth_hash()):
        return CLOSE_UNAUTHENTICATED
    return None


def _stored_sessions(keys: set[str]) -> dict[str, Mapping[str, Any]]:
    """The data of the sessions that still stand, read from the session store itself (so a
    logout, a session deleted by an admin action, an expiry or an idle timeout moving
    ``expire_date`` all count): one query for a database-backed store, else one per key."""
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not keys:
        return {}
    if hasattr(store_class, "get_model_class"):  # django.contrib.sessions.backends.db and kin
        store = store_class()
        rows = store_class.get_model_class().objects.filter(
            session_key__in=keys, expire_date__gt=timezone.now())
        return {row.session_key: store.decode(row.session_data) for row in rows}
    found = {key: store_class(key).load() for key in keys}
    return {key: data for key, data in found.items() if data}


@database_sync_to_async
def session_problems(sockets: set[tuple[int, str | None]]) -> dict[tuple[int, str | None], int]:
    """For this process's sockets (account, session key): the close code of each whose
    session no longer stands; the others are not in the answer."""
    users = User.objects.in_bulk({user_id for user_id, _key in sockets})
    stored = _stored_sessions({key for _user, key in sockets if key is not None})
    problems = {}
    for user_id, key in sockets:
        code = _problem(users.get(user_id), key, stored.get(key) if key else None)
        if code is not None:
            problems[(user_id, key)] = code
    return problems


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
    ).prefetch_related("message__attachments", "message__mentions__user"
                       ).order_by("seq")[:BACKLOG_BATCH]
    # Plain dicts from here on: the consumer handles them as it handles the hub's.
    return [dict(logged_event(e, viewer)) for e in rows]


@database_sync_to_async
def own_held(event: dict[str, Any], viewer: int) -> dict[str, Any]:
    """A held message's ``skip`` as its sender's socket is sent it: the held message while it
    is still held at that seq, else the plain ``skip``."""
    message = (Message.objects.filter(pk=int(event.get(HELD_MESSAGE) or 0))
               .select_related("sender", "reply_to__sender")
               .prefetch_related("attachments", "mentions__user")
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
