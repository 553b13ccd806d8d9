"""What the school does to messages and members for safeguarding: remove a message, restrict a
member from posting, and release or reject a message held for review (:mod:`messaging.screening`).

These are the mechanics; the safeguarding app above messaging decides when to use them and
checks its own rules first. Each action still refuses a ``by`` who is not a safeguarding lead
of the school concerned (:func:`messaging.access.is_lead_of`), archives one record per change
in the same transaction and publishes after the commit.

Held messages and seqs: a held message takes a seq when it is stored, like any message, and
that seq goes out as a ``skip`` (the event names no message), so no member sees a gap and
nobody but the sender learns anything. Released, it takes the conversation's next seq as a new
``message`` event (``Message.seq`` moves to it), so every member, live or on resume, receives it
once, where it now belongs: at the end. docs/protocol.md has the frames.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from archive import chain, scopes
from messaging.access import is_lead_of
from messaging.actions import reactions
from messaging.events import message_event, removed_event
from messaging.models import Event, Message, Restriction
from messaging.publish import publish_on_commit, publish_user_on_commit
from messaging.seq import lock, next_seq

REASON_MAX_CHARS = 2000


def _refuse_unless_lead(by: User, school_id: int | None) -> None:
    if not is_lead_of(by, school_id):
        raise PermissionDenied(_("Only the school's safeguarding lead can do this."))


def _reason(reason: object) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise ValidationError(_("Give a reason."), code="required")
    if len(text) > REASON_MAX_CHARS:
        raise ValidationError(_("The reason is too long (at most %(n)d characters).")
                              % {"n": REASON_MAX_CHARS}, code="too_long")
    return text


def _locked(message: Message) -> Message:
    """The message's current row, with its conversation locked until the transaction ends."""
    lock(message.conversation)
    return (Message.objects.select_related("conversation__school", "sender")
            .get(pk=message.pk))


def remove_message(*, by: User, message: Message, reason: str) -> Message:
    """The school removes a message: every member sees "Removed by the school" instead of its
    text and attachments, live and on every page, replay, preview, push, digest and search.

    The live text is emptied (as a retraction does) and the archive record keeps the original
    with the reason; nothing is deleted from the archive. A removed message can no longer be
    edited, retracted, pinned or acknowledged. Removing it again changes nothing and returns
    it. A message still waiting for review is rejected, not removed (:func:`reject_message`).
    Raises ``PermissionDenied`` unless ``by`` is a safeguarding lead of its school.
    """
    _refuse_unless_lead(by, message.conversation.school_id)
    text = _reason(reason)
    with transaction.atomic():
        current = _locked(message)
        if current.is_removed:
            return current
        if current.held_at is not None and current.rejected_at is None:
            raise ValidationError(_("This message is waiting for review: release or reject "
                                    "it instead."), code="held")
        seq = next_seq(current.conversation)
        body = current.body
        current.set_body("")
        current.removed_at = timezone.now()
        current.removed_by = by
        current.pinned_at = None
        current.save(update_fields=["body", "body_folded", "removed_at", "removed_by",
                                    "pinned_at"])
        Event.objects.create(conversation_id=current.conversation_id, seq=seq,
                             kind=Event.Kind.REMOVED, message=current)
        reactions.clear(current)
        chain.record(
            "message.removed", scope=current.conversation.scope, actor=by,
            subjects=[current.sender],
            payload={"message": current.pk, "seq": seq, "body": body, "reason": text,
                     "retracted": current.is_retracted},
        )
        if current.held_at is None:  # a rejected message was never shown to anyone else
            publish_on_commit(current.conversation_id, removed_event(current, seq))
    return current


def release_message(*, by: User, message: Message) -> Message:
    """Publish a held message: it takes the conversation's next seq and reaches every member as
    a new message (live, on resume, in pages, pushes and digests), exactly once.

    Releasing a message that is not held returns it unchanged; a rejected message cannot be
    released. Raises ``PermissionDenied`` unless ``by`` is a safeguarding lead of its school.
    """
    _refuse_unless_lead(by, message.conversation.school_id)
    with transaction.atomic():
        current = _locked(message)
        if current.held_at is None:
            return current
        if current.rejected_at is not None:
            raise ValidationError(_("This message was not published by the school."),
                                  code="rejected")
        seq = next_seq(current.conversation)
        held_seq = current.seq
        current.seq = seq
        current.held_at = None
        current.save(update_fields=["seq", "held_at"])
        Event.objects.create(conversation_id=current.conversation_id, seq=seq,
                             kind=Event.Kind.MESSAGE, message=current)
        chain.record(
            "message.released", scope=current.conversation.scope, actor=by,
            subjects=[current.sender],
            payload={"message": current.pk, "seq": seq, "held_seq": held_seq},
        )
        publish_on_commit(current.conversation_id, message_event(current))
    return current


def reject_message(*, by: User, message: Message, reason: str) -> Message:
    """Keep a held message unpublished for good: its sender sees "Not published by the school",
    nobody else ever sees it. Rejecting twice is one rejection; a released message cannot be
    rejected (remove it instead). Raises ``PermissionDenied`` unless ``by`` is a safeguarding
    lead of its school."""
    _refuse_unless_lead(by, message.conversation.school_id)
    text = _reason(reason)
    with transaction.atomic():
        current = _locked(message)
        if current.rejected_at is not None:
            return current
        if current.held_at is None:
            raise ValidationError(_("This message is not waiting for review."), code="not_held")
        current.rejected_at = timezone.now()
        current.save(update_fields=["rejected_at"])
        chain.record(
            "message.rejected", scope=current.conversation.scope, actor=by,
            subjects=[current.sender],
            payload={"message": current.pk, "seq": current.seq, "reason": text},
        )
        # Its sender's open tabs only: for everyone else there is nothing to change.
        publish_user_on_commit(current.sender_id, {
            "type": "rejected", "conversation": current.conversation_id, "id": current.pk})
    return current


def restrict_member(*, by: User, user: User, until: datetime, reason: str) -> Restriction:
    """From now until ``until``, ``user`` can read but not post anywhere (direct conversations
    too): the ``conversation.post`` rule refuses, over HTTP and the websocket alike, with "You
    can read but not send messages until ..., by decision of the school."

    Raises ``PermissionDenied`` unless ``by`` is a safeguarding lead of ``user``'s school, and
    ``ValidationError`` for an end that is not in the future or a missing reason.
    """
    _refuse_unless_lead(by, user.school_id)
    text = _reason(reason)
    if not isinstance(until, datetime) or timezone.is_naive(until) or until <= timezone.now():
        raise ValidationError(_("Choose an end in the future."), code="invalid")
    if user.pk == by.pk:
        raise ValidationError(_("You cannot restrict yourself."), code="invalid")
    with transaction.atomic():
        assert user.school_id is not None  # a lead of no school was refused above
        restriction = Restriction.objects.create(school_id=user.school_id, user=user,
                                                 until=until, reason=text, created_by=by)
        chain.record(
            "member.restricted", scope=scopes.school(user.school_id), actor=by, subjects=[user],
            payload={"restriction": restriction.pk, "user": user.pk,
                     "until": until.isoformat(), "reason": text},
        )
    return restriction


def lift_restriction(*, by: User, restriction: Restriction) -> None:
    """End a restriction before its time: the person may post again at once. Lifting one
    already lifted changes nothing. Raises ``PermissionDenied`` unless ``by`` is a
    safeguarding lead of its school."""
    _refuse_unless_lead(by, restriction.school_id)
    with transaction.atomic():
        current = Restriction.objects.select_for_update().get(pk=restriction.pk)
        if current.lifted_at is not None:
            restriction.lifted_at = current.lifted_at
            return
        current.lifted_at = timezone.now()
        current.save(update_fields=["lifted_at"])
        restriction.lifted_at = current.lifted_at
        chain.record(
            "member.restriction_lifted", scope=scopes.school(current.school_id), actor=by,
            subjects=[current.user], payload={"restriction": current.pk,
                                              "user": current.user_id},
        )

