"""Scheduled messages: staff write now, the message is posted at the time they chose."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import User
from messaging.actions.send import post_message
from messaging.models import Conversation, ScheduledMessage
from messaging.text import clean_body


def schedule_message(sender: User, conversation: Conversation, body: object,
                     send_at: datetime) -> ScheduledMessage:
    """Staff: post ``body`` here at ``send_at`` (between a minute and 60 days from now)."""
    text = clean_body(body)
    if not can(sender, "message.schedule", conversation):
        raise PermissionDenied(_("Only staff can schedule messages."))
    now = timezone.now()
    if not now + timedelta(minutes=1) <= send_at <= now + timedelta(days=60):
        raise ValidationError(_("Choose a time between a minute and 60 days from now."),
                              code="invalid_time")
    return ScheduledMessage.objects.create(sender=sender, conversation=conversation, body=text,
                                           send_at=send_at)


def cancel_scheduled(user: User, scheduled: ScheduledMessage) -> None:
    if scheduled.sender_id != user.pk:
        raise PermissionDenied(_("You can only cancel your own scheduled messages."))
    ScheduledMessage.objects.filter(pk=scheduled.pk, message__isnull=True).update(
        cancelled_at=timezone.now())


def send_due_scheduled(now: datetime | None = None) -> int:
    """Post every scheduled message whose time has come; returns how many were posted.

    Each is posted with its own client_id, so a crash between posting and marking it sent
    only repeats an idempotent call. A sender who may no longer post gets a failure note.
    """
    moment = now or timezone.now()
    posted = 0
    due = (ScheduledMessage.objects.filter(send_at__lte=moment, message__isnull=True,
                                           cancelled_at__isnull=True, failure="")
           .select_related("sender", "conversation").order_by("send_at")[:200])
    for item in due:
        try:
            message, _created = post_message(item.sender, item.conversation, item.body,
                                             client_id=item.client_id, confirm=True,
                                             limited=False)
        except (PermissionDenied, ValidationError) as exc:
            failure = " ".join(getattr(exc, "messages", [str(exc)]))
            ScheduledMessage.objects.filter(pk=item.pk).update(failure=failure or "refused")
            continue
        ScheduledMessage.objects.filter(pk=item.pk).update(message=message)
        posted += 1
    return posted
