"""Reminding the families who have not replied, or not signed the permission slip.

As acknowledgement reminders (``messaging/actions/reminders.py``): at most one per activity per
school day (the action refuses a second, the constraint ``activity_reminder_once_a_day`` holds
it against two presses at once), only to the guardians who may answer for a child still
waiting, each in their own language: a push to those with a device, an e-mail to the others,
after the commit. One ``activity.reminded`` record names them.
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
from activities import roll, texts
from activities.models import Activity, ActivityReminder
from activities.signals import reminder_sent
from archive import chain, scopes
from messaging import acknowledgements
from notifications.models import Device


def waiting(activity: Activity) -> list[User]:
    """The guardians to remind: for each child without a reply, or whose slip does not count
    yet, the guardians who may still answer for them (under an "all guardians" slip, those of
    them who have not signed)."""
    view = roll.overview(activity)
    ids = [r.pupil.pk for r in view.rows]
    eligible = roll.signing_guardians(ids)
    wanted: set[int] = set()
    for row in view.rows:
        if row.reply is None:
            wanted.update(eligible[row.pupil.pk])
        if row.slip is not None and not row.slip.counts:
            wanted.update(row.slip.waiting_for)
    return list(User.objects.filter(pk__in=wanted, is_active=True).select_related("school")
                .order_by("pk"))


def remind(actor: User, activity: Activity, *, link: str) -> ActivityReminder:
    """Remind the families still waiting; ``link`` is the activity's address for the e-mail.
    Raises ``PermissionDenied`` for someone who may not, ``ValidationError`` when a reminder
    already went today (code ``already_reminded``) or nobody is waiting (``nobody_to_remind``)."""
    if not can(actor, "activity.manage", activity):
        raise PermissionDenied(_("You cannot send reminders for this activity."))
    day = acknowledgements.school_day(activity.school)
    with transaction.atomic():
        Activity.objects.select_for_update().filter(pk=activity.pk).values_list("pk").first()
        if ActivityReminder.objects.filter(activity=activity, day=day).exists():
            raise ValidationError(_("A reminder was already sent today. You can send the next "
                                    "one tomorrow."), code="already_reminded")
        people = waiting(activity)
        if not people:
            raise ValidationError(_("Every family has replied and signed: nobody needs a "
                                    "reminder."), code="nobody_to_remind")
        reminder = ActivityReminder.objects.create(activity=activity, sent_by=actor, day=day,
                                                   recipients=len(people))
        pushed = set(Device.objects.filter(user__in=people).values_list("user_id", flat=True))
        chain.record(
            "activity.reminded", scope=scopes.activities(activity.school_id), actor=actor,
            subjects=people,
            payload={"activity": activity.pk, "title": activity.title,
                     "guardians": [p.pk for p in people], "pushed": sorted(pushed)})
        mails = [reminder_mail(p, activity, link) for p in people
                 if p.pk not in pushed and p.email]
        if mails:
            transaction.on_commit(partial(send_mails, mails))
        if pushed:
            transaction.on_commit(partial(reminder_sent.send, sender=Activity,
                                          activity_id=activity.pk, user_ids=sorted(pushed)))
    return reminder


def reminder_mail(person: User, activity: Activity, link: str) -> EmailMessage:
    """One guardian's reminder, in their language: the activity and what it asks, never
    another family's name."""
    with translation.override(mail_language(person)):
        subject = _("Reminder: %(title)s") % {"title": activity.title}
        asks = (_("Please reply and sign the permission slip.") if activity.slip_id
                else _("Please reply."))
        body = _("Hello %(name)s,\n\n%(title)s (%(when)s) is waiting for your answer. "
                 "%(asks)s\n\n%(link)s\n") % {
            "name": person.public_name, "title": activity.title, "when": texts.when(activity),
            "asks": asks, "link": link}
    return EmailMessage(subject, body, None, [person.email])
