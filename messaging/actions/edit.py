"""Changing a sent message: editing and retracting one's own (within a window), pinning (staff).

Each change takes the next seq of the conversation, is logged as an event for replay, archived
(the archive keeps every version) and published after the commit.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import User
from archive import chain
from messaging.actions import reactions
from messaging.events import edited_event, pinned_event, retracted_event
from messaging.models import Event, Message
from messaging.publish import publish_on_commit
from messaging.seq import lock, next_seq
from messaging.text import clean_body


def _check_window(message: Message, verb: str) -> None:
    minutes = settings.SCHOOLCHAT_RETRACT_MINUTES
    if timezone.now() - message.created_at > timedelta(minutes=minutes):
        text = (_("You can only edit a message within %(minutes)d minutes of sending it.")
                if verb == "edit" else
                _("You can only retract a message within %(minutes)d minutes of sending it."))
        raise ValidationError(text % {"minutes": minutes}, code="window_expired")


def _check_moderated(message: Message) -> None:
    """A message the school removed, or one held for its review, stays as it is."""
    if message.is_removed:
        raise ValidationError(_("This message was removed by the school."), code="removed")
    if message.is_held:
        raise ValidationError(_("This message is waiting for review by the school."),
                              code="held")


def edit_message(user: User, message: Message, body: object) -> Message:
    """Replace the text of the user's own message; the archive keeps every version."""
    text = clean_body(body)
    if not can(user, "message.edit", message):
        raise PermissionDenied(_("You can only edit your own messages."))
    with transaction.atomic():
        lock(message.conversation)
        current = Message.objects.select_related("sender").get(pk=message.pk)
        if current.is_retracted:
            raise ValidationError(_("This message was retracted."), code="retracted")
        _check_moderated(current)
        _check_window(current, "edit")
        previous = current.body
        if previous == text:
            return current
        seq = next_seq(message.conversation)
        current.set_body(text)
        current.edited_at = timezone.now()
        current.save(update_fields=["body", "body_folded", "edited_at"])
        Event.objects.create(conversation_id=current.conversation_id, seq=seq,
                             kind=Event.Kind.EDITED, message=current)
        chain.record(
            "message.edited", scope=message.conversation.scope, actor=user, subjects=[user],
            payload={"message": current.pk, "seq": seq, "body": text, "previous": previous},
        )
        publish_on_commit(current.conversation_id, edited_event(current, seq))
    return current


def retract_message(user: User, message: Message) -> Message:
    """Withdraw the user's own message: members see "message retracted" instead of the text.
    The archive keeps the text until retention deletes it."""
    if not can(user, "message.retract", message):
        raise PermissionDenied(_("You can only retract your own messages."))
    with transaction.atomic():
        lock(message.conversation)
        current = Message.objects.select_related("sender").get(pk=message.pk)
        if current.is_retracted:
            return current
        _check_moderated(current)
        _check_window(current, "retract")
        seq = next_seq(message.conversation)
        body = current.body
        current.set_body("")
        current.retracted_at = timezone.now()
        current.pinned_at = None
        current.save(update_fields=["body", "body_folded", "retracted_at", "pinned_at"])
        Event.objects.create(conversation_id=current.conversation_id, seq=seq,
                             kind=Event.Kind.RETRACTED, message=current)
        reactions.clear(current)  # they were reactions to what it said
        chain.record(
            "message.retracted", scope=message.conversation.scope, actor=user, subjects=[user],
            payload={"message": current.pk, "seq": seq, "body": body},
        )
        publish_on_commit(current.conversation_id, retracted_event(current, seq))
    return current


def pin_message(user: User, message: Message, pinned: bool = True) -> Message:
    """Pin a message above the conversation, or unpin it (staff)."""
    if not can(user, "message.pin", message):
        raise PermissionDenied(_("Only staff can pin messages."))
    with transaction.atomic():
        lock(message.conversation)
        current = Message.objects.select_related("sender").get(pk=message.pk)
        if current.is_retracted and pinned:
            raise ValidationError(_("This message was retracted."), code="retracted")
        if pinned:
            _check_moderated(current)
        if (current.pinned_at is not None) == pinned:
            return current
        seq = next_seq(message.conversation)
        current.pinned_at = timezone.now() if pinned else None
        current.save(update_fields=["pinned_at"])
        kind = Event.Kind.PINNED if pinned else Event.Kind.UNPINNED
        Event.objects.create(conversation_id=current.conversation_id, seq=seq, kind=kind,
                             message=current)
        chain.record(
            f"message.{kind}", scope=message.conversation.scope, actor=user, subjects=[user],
            payload={"message": current.pk, "seq": seq},
        )
        publish_on_commit(current.conversation_id, pinned_event(current, seq, pinned))
    return current
