"""Who may read, post in and manage a conversation.

The answer comes from django-guardian object permissions, which only the membership actions
(:mod:`messaging.actions`) grant and revoke. Superuser status confers nothing here: a school
admin manages membership but does not read other people's chats.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user, get_user_perms

from accounts.access import can, rule
from accounts.models import STAFF_ROLES, Role
from messaging.models import Conversation, Message

READ = "view_conversation"
POST = "post_in_conversation"
MANAGE = "manage_members"


# (user id, conversation id) -> permission codenames, inside remembered_permissions() only.
_remembered: ContextVar[dict[tuple[int, int], frozenset[str]] | None] = ContextVar(
    "remembered_conversation_permissions", default=None)


@contextlib.contextmanager
def remembered_permissions() -> Iterator[None]:
    """Within the block, a user's permissions on a conversation are read from the database
    once. Only for work that changes no membership, such as storing a batch of sends."""
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


def _has(user: Any, codename: str, conversation: Any) -> bool:
    if not isinstance(conversation, Conversation):
        return False
    memo = _remembered.get()
    if memo is None:
        return codename in get_user_perms(user, conversation)
    key = (user.pk, conversation.pk)
    if key not in memo:
        memo[key] = frozenset(get_user_perms(user, conversation))
    return codename in memo[key]


@rule("conversation.read")
def _read(user: Any, conversation: Any) -> bool:
    return _has(user, READ, conversation)


@rule("conversation.post")
def _post(user: Any, conversation: Any) -> bool:
    return _has(user, POST, conversation)


@rule("conversation.manage_members")
def _manage(user: Any, conversation: Any) -> bool:
    return _has(user, MANAGE, conversation)


@rule("message.edit")
def _edit(user: Any, message: Any) -> bool:
    """Only the sender edits, and only while still allowed to post there."""
    return (isinstance(message, Message) and message.sender_id == user.pk
            and _has(user, POST, message.conversation))


@rule("message.retract")
def _retract(user: Any, message: Any) -> bool:
    return _edit(user, message)


@rule("message.receipts")
def _receipts(user: Any, message: Any) -> bool:
    """Who has seen a message: its sender and staff members of the conversation."""
    return (isinstance(message, Message) and _has(user, READ, message.conversation)
            and (message.sender_id == user.pk or user.role in STAFF_ROLES))


@rule("message.acknowledgements")
def _acknowledgements(user: Any, message: Any) -> bool:
    """Who has (not) acknowledged an announcement: staff members of the conversation."""
    return (isinstance(message, Message) and message.ack_requested
            and user.role in STAFF_ROLES and _has(user, READ, message.conversation))


@rule("message.acknowledge")
def _acknowledge(user: Any, message: Any) -> bool:
    return (isinstance(message, Message) and message.ack_requested
            and message.sender_id != user.pk and _has(user, READ, message.conversation))


@rule("message.pin")
def _pin(user: Any, message: Any) -> bool:
    """Staff who may post in the conversation pin and unpin its messages."""
    return (isinstance(message, Message) and user.role in STAFF_ROLES
            and _has(user, POST, message.conversation))


@rule("message.post_urgent")
def _post_urgent(user: Any, conversation: Any) -> bool:
    return user.role in STAFF_ROLES and _has(user, POST, conversation)


@rule("conversation.start_direct")
def _start_direct(user: Any, other: Any) -> bool:
    """Who may open a one-to-one conversation with whom (school policy decides the rest).

    Staff and parents always; staff with staff; parent with parent and staff with pupil only
    where the school allows it; never a pupil with a parent or another pupil.
    """
    if (not getattr(other, "is_active", False) or other.pk == user.pk
            or other.school_id is None or other.school_id != user.school_id):
        return False
    school = user.school
    pair = {(user.role in STAFF_ROLES and "staff") or user.role,
            (other.role in STAFF_ROLES and "staff") or other.role}
    if pair == {"staff"} or pair == {"staff", Role.PARENT}:
        return True
    if pair == {Role.PARENT}:
        return bool(getattr(school, "parent_direct_messages", False))
    if pair == {"staff", Role.PUPIL}:
        return bool(getattr(school, "staff_pupil_direct_messages", False))
    return False


def readable_conversations(user: Any) -> QuerySet[Conversation]:
    """The queryset twin of ``can(user, "conversation.read", c)``: same answer for lists."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Conversation.objects.none()
    return get_objects_for_user(
        user, f"messaging.{READ}", klass=Conversation,
        with_superuser=False, accept_global_perms=False,
    )


def readable_conversation_or_none(user: Any, conversation_id: int) -> Conversation | None:
    """The conversation when the user may read it; None both when missing and when forbidden,
    so a caller cannot tell the two apart (outsiders get 404, never 403)."""
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None or not can(user, "conversation.read", conversation):
        return None
    return conversation


def readable_message_or_none(user: Any, message_id: int) -> Message | None:
    """The message when the user may read its conversation, else None (missing or forbidden)."""
    message = (Message.objects.select_related("conversation", "sender")
               .filter(pk=message_id).first())
    if message is None or not can(user, "conversation.read", message.conversation):
        return None
    return message
