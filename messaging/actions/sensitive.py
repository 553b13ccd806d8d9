"""Marking a sent message sensitive (health, family, special educational needs)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import User
from archive import chain
from messaging.events import sensitive_event
from messaging.models import Event, Message, Sensitivity
from messaging.publish import publish_on_commit
from messaging.seq import lock, next_seq


def clean_sensitivity(value: object) -> str:
    """A category of :class:`Sensitivity`, or blank for "not sensitive"."""
    if value in (None, "", False):
        return ""
    if not isinstance(value, str) or value not in Sensitivity.values:
        raise ValidationError(_("Choose health, family or special educational needs."),
                              code="invalid")
    return value


def mark_sensitive(user: User, message: Message, category: object) -> Message:
    """Mark a sent message sensitive, or change its category: members' pages hide its text
    behind a tap from now on (a sequenced ``sensitive`` event). It cannot be unmarked: a
    reader may already rely on it being kept out of previews."""
    value = clean_sensitivity(category)
    if not value:
        raise ValidationError(_("Choose health, family or special educational needs."),
                              code="invalid")
    if not can(user, "message.mark_sensitive", message):
        raise PermissionDenied(_("Only staff can mark a message sensitive."))
    with transaction.atomic():
        lock(message.conversation)
        current = Message.objects.select_related("sender").get(pk=message.pk)
        if current.sensitive == value:
            return current
        seq = next_seq(message.conversation)
        current.sensitive = value
        current.save(update_fields=["sensitive"])
        Event.objects.create(conversation_id=current.conversation_id, seq=seq,
                             kind=Event.Kind.SENSITIVE, message=current)
        chain.record(
            "message.marked_sensitive", scope=message.conversation.scope, actor=user,
            subjects=[user], payload={"message": current.pk, "seq": seq, "sensitive": value},
        )
        publish_on_commit(current.conversation_id, sensitive_event(current, seq))
    return current
