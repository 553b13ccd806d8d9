"""Signing a trip's permission slip, and withdrawing a signature, before the trip starts.

A signature is an ordinary consent decision on the slip's one-off purpose
(``consent.actions.decide``: an append-only ``ConsentRecord`` and its ``consent.granted``
record in the pupil's chain), plus one ``activity.signed`` / ``activity.withdrawn`` record in
the school's activities chain. Guardians marked no-contact never sign here: the school does not
deal with them about the child, whatever their legal standing (``roll.signing_guardians``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Pupil, User
from activities import hints, roll, texts
from activities.models import Activity
from archive import chain, scopes
from consent.actions import decide
from consent.models import ConsentForm, ConsentRecord

Decision = ConsentRecord.Decision


def _check(guardian: User, activity: Activity, pupil: Pupil) -> None:
    """Each refusal a sentence for the guardian. Who may open the activity at all is the
    adapters' question (``activity.view``, 404); here: this child, this guardian, this time."""
    if activity.slip is None or not guardian.is_active:
        raise PermissionDenied(_("You cannot sign for this activity."))
    if pupil not in roll.pupils(activity):
        raise ValidationError(texts.not_a_child())
    guardianship = roll.guardian_of(guardian, pupil)
    if guardianship is None or not guardianship.parental_responsibility:
        raise ValidationError(texts.not_responsible())
    if guardianship.no_contact:
        raise ValidationError(texts.no_contact())
    if timezone.now() >= activity.starts_at:
        raise ValidationError(texts.started())


def sign(guardian: User, activity: Activity, pupil: Pupil, *,
         form: ConsentForm | None = None) -> ConsentRecord:
    """Sign the slip for ``pupil``; ``form`` is the version the guardian read."""
    return _decide(guardian, activity, pupil, Decision.GRANTED, form)


def withdraw(guardian: User, activity: Activity, pupil: Pupil) -> ConsentRecord:
    """Withdraw the slip for ``pupil`` before the trip: the child leaves the trip list at once."""
    return _decide(guardian, activity, pupil, Decision.WITHDRAWN, None)


def _decide(guardian: User, activity: Activity, pupil: Pupil, decision: str,
            form: ConsentForm | None) -> ConsentRecord:
    _check(guardian, activity, pupil)
    assert activity.slip is not None
    with transaction.atomic():
        Activity.objects.select_for_update().filter(pk=activity.pk).values_list("pk").first()
        before = ConsentRecord.objects.filter(form__purpose=activity.slip, pupil=pupil).count()
        record = decide(guardian, pupil, activity.slip, decision, form=form)
        if ConsentRecord.objects.filter(form__purpose=activity.slip, pupil=pupil).count() == before:
            return record  # the same decision again: nothing new
        chain.record(
            f"activity.{'signed' if decision == Decision.GRANTED else 'withdrawn'}",
            scope=scopes.activities(activity.school_id), actor=guardian,
            subjects=[guardian, pupil],
            payload={"activity": activity.pk, "title": activity.title, "pupil": pupil.pk,
                     "guardian": guardian.pk, "consent_record": record.pk,
                     "form": record.form_id})
        hints.changed(activity)
    return record
