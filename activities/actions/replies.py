"""A guardian's reply for a child: coming, not coming or maybe, with a note, until the
activity's reply deadline. A new reply replaces the old one; the archive keeps each."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import Pupil, User
from activities import hints, roll, texts
from activities.models import Activity, Rsvp
from archive import chain, scopes

NOTE_CHARS = 300


def reply(guardian: User, activity: Activity, pupil: Pupil, answer: str, note: str = "") -> Rsvp:
    if not can(guardian, "activity.reply", activity):
        raise PermissionDenied(_("You cannot reply to this activity."))
    if answer not in Rsvp.Answer.values:
        raise ValidationError(_("Choose coming, not coming or maybe."))
    note = note.strip()
    if len(note) > NOTE_CHARS:
        raise ValidationError(_("Keep the note under %(count)s characters.") % {"count": NOTE_CHARS})
    if pupil not in roll.children_for(guardian, activity):
        raise ValidationError(texts.not_a_child())
    if timezone.now() > activity.reply_by:
        raise ValidationError(texts.replies_closed(activity))
    with transaction.atomic():
        Activity.objects.select_for_update().filter(pk=activity.pk).values_list("pk").first()
        current = Rsvp.objects.filter(activity=activity, pupil=pupil).first()
        if current is not None and current.answer == answer and current.note == note:
            return current  # a double tap changes nothing
        rsvp, _created = Rsvp.objects.update_or_create(
            activity=activity, pupil=pupil,
            defaults={"answer": answer, "note": note, "by": guardian, "at": timezone.now()})
        chain.record(
            "activity.replied", scope=scopes.activities(activity.school_id), actor=guardian,
            subjects=[guardian, pupil],
            payload={"activity": activity.pk, "title": activity.title, "pupil": pupil.pk,
                     "guardian": guardian.pk, "answer": answer, "note": note})
        hints.changed(activity)
    return rsvp
