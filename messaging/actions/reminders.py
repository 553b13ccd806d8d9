"""Reminding the families who have not acknowledged a message yet.

At most one reminder per message per day (the school's calendar day): the action refuses a
second one, and the constraint ``messaging_ackreminder_once_a_day`` holds it even against two
presses at once. The reminder goes only to the guardians of the families that have not
acknowledged (:mod:`messaging.acknowledgements`), each by e-mail of their own after the commit,
and the apps above messaging are told (``acknowledgement_reminder_sent``) so that they can push
it too. One ``message.ack_reminded`` record in the conversation's chain names them.
"""

from __future__ import annotations

from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.actions.invitations import mail_language, send_mails
from accounts.models import User
from archive import chain
from messaging import acknowledgements
from messaging.events import excerpt
from messaging.models import AcknowledgementReminder, Message
from messaging.signals import acknowledgement_reminder_sent


def remind_unacknowledged(actor: User, message: Message, *, link: str) -> AcknowledgementReminder:
    """Remind the guardians of every family that has not acknowledged ``message``; ``link`` is
    the message's address for the e-mail. Raises ``PermissionDenied`` for someone who may not
    remind, and ``ValidationError`` when a reminder already went today (code
    ``already_reminded``) or every family has acknowledged (code ``nobody_to_remind``)."""
    if not can(actor, "message.remind", message):
        raise PermissionDenied(_("You cannot send reminders for this message."))
    conversation = message.conversation
    day = acknowledgements.school_day(conversation.school)
    with transaction.atomic():
        # Two presses at once: the second waits here, then sees the first one's reminder.
        Message.objects.select_for_update().filter(pk=message.pk).values_list("pk").first()
        if AcknowledgementReminder.objects.filter(message=message, day=day).exists():
            raise ValidationError(_("A reminder was already sent today. You can send the next "
                                    "one tomorrow."), code="already_reminded")
        people = acknowledgements.overview(message).to_remind()
        if not people:
            raise ValidationError(_("Every family has acknowledged: nobody needs a reminder."),
                                  code="nobody_to_remind")
        reminder = AcknowledgementReminder.objects.create(
            message=message, sent_by=actor, day=day, recipients=len(people))
        chain.record(
            "message.ack_reminded", scope=conversation.scope, actor=actor, subjects=people,
            payload={"message": message.pk, "guardians": [p.pk for p in people]},
        )
        mails = [reminder_mail(person, message, link) for person in people if person.email]
        if mails:
            transaction.on_commit(partial(send_mails, mails))
        ids = [p.pk for p in people]
        transaction.on_commit(lambda: acknowledgement_reminder_sent.send(
            sender=None, message_id=message.pk, user_ids=ids))
    return reminder


def reminder_mail(person: User, message: Message, link: str) -> EmailMessage:
    """One guardian's reminder, in their language: the conversation, the sender and the start
    of the message; never another family's name or anyone's contact details."""
    with translation.override(mail_language(person)):
        subject = _("Reminder: please acknowledge a message in %(conversation)s") % {
            "conversation": message.conversation.name}
        body = _(
            "Hello %(name)s,\n\n%(sender)s asked in %(conversation)s for an acknowledgement "
            "that you have read this message, and your family has not given one yet:\n\n"
            "%(excerpt)s\n\nOpen it and press Acknowledge:\n%(link)s\n"
        ) % {"name": person.public_name, "sender": message.sender.public_name,
             "conversation": message.conversation.name, "excerpt": excerpt(message),
             "link": link}
    return EmailMessage(subject, body, None, [person.email])
