"""The only writers of consent data: each validates, writes, archives and signals on commit.

Every decision is one new :class:`ConsentRecord` (the table is append-only), one archive record
``consent.granted`` / ``consent.refused`` / ``consent.withdrawn`` in the same transaction, and
one ``consent_changed`` signal after the commit (accounts recomputes class membership on it,
messaging hides photos).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import Pupil, School, SchoolClass, User
from archive import chain, scopes
from consent import defaults
from consent.access import responsible_for
from consent.models import ConsentForm, ConsentPurpose, ConsentRecord, ConsentRequest
from consent.services import has_consent, purpose_for
from consent.signals import consent_changed

Decision = ConsentRecord.Decision


def ensure_purposes(school: School) -> list[ConsentPurpose]:
    """Create the default purposes with their first form version; a second call adds nothing."""
    purposes = []
    with transaction.atomic():
        for position, (code, name, description, text) in enumerate(defaults.PURPOSES):
            purpose, _created = ConsentPurpose.objects.get_or_create(
                school=school, code=code,
                defaults={"name": name, "description": description, "position": position},
            )
            if not purpose.forms.exists():
                publish_form(purpose, text, actor=None)
            purposes.append(purpose)
    return purposes


def on_school_created(sender: Any, school: School, **kwargs: Any) -> None:
    """``accounts.signals.school_created``: a new school starts with the default purposes."""
    ensure_purposes(school)


def publish_form(purpose: ConsentPurpose, text: str, *, actor: User | None) -> ConsentForm:
    """Publish a new version of a purpose's text. Earlier versions and the decisions on them
    are kept; guardians who decided on an earlier version see the new one as pending."""
    if actor is not None and not can(actor, "consent.edit_forms", purpose):
        raise PermissionDenied(_("You cannot change this school's consent forms."))
    text = text.strip()
    if not text:
        raise ValidationError(_("Write the text parents are asked to agree to."), code="text")
    current = purpose.current_form()
    if current is not None and current.text.strip() == text:
        raise ValidationError(_("The text is unchanged: there is no new version to publish."),
                              code="unchanged")
    with transaction.atomic():
        last = purpose.forms.order_by("-version").first()
        form = ConsentForm.objects.create(
            purpose=purpose, version=(last.version + 1) if last else 1, text=text,
            published_at=timezone.now(),
        )
        chain.record(
            "consent.form_published", scope=scopes.school(purpose.school_id), actor=actor,
            subjects=[actor] if actor is not None else [],
            payload={"purpose": purpose.code, "form": form.pk, "version": form.version,
                     "text": form.text, "text_sha256": form.text_hash},
        )
    return form


def decide(
    guardian: Any,
    pupil: Pupil,
    purpose: ConsentPurpose | str,
    decision: str,
    method: str = ConsentRecord.Method.APP,
    recorded_by: Any = None,
    *,
    form: ConsentForm | None = None,
    signed_on: date | None = None,
) -> ConsentRecord:
    """Record a guardian's decision on the current form of ``purpose``.

    ``form`` is the version the guardian was shown: when a newer one was published meanwhile,
    the decision is refused so nobody agrees to a text they did not see. A repeated identical
    decision by the same guardian (a double tap) adds nothing and returns the standing record.
    """
    if method == ConsentRecord.Method.APP:
        if not can(guardian, "consent.decide", pupil):
            raise PermissionDenied(_("Only a parent with parental responsibility can decide."))
        recorded_by = guardian
        signed_on = None
    else:
        if recorded_by is None or signed_on is None:
            raise ValueError("a paper decision needs the staff member and the signing date")
        if not responsible_for(guardian, pupil):
            raise ValidationError(_("This person has no parental responsibility for the pupil."))
    if decision not in Decision.values:
        raise ValidationError(_("Unknown decision."))
    with transaction.atomic():
        Pupil.objects.select_for_update().filter(pk=pupil.pk).first()
        target = purpose_for(pupil.school_id, purpose)
        current = target.current_form()
        if current is None:
            raise ValidationError(_("This purpose has no form to decide on yet."))
        if form is not None and form.pk != current.pk:
            raise ValidationError(_("The form has changed since you opened it; "
                                    "please read the new version."))
        latest = (ConsentRecord.objects.filter(pupil=pupil, form__purpose=target)
                  .order_by("-decided_at", "-pk").first())
        if decision == Decision.WITHDRAWN and not has_consent(pupil, target.code):
            raise ValidationError(_("There is no consent to withdraw."))
        if (latest is not None and latest.guardian_id == guardian.pk
                and latest.decision == decision and latest.form_id == current.pk
                and method == ConsentRecord.Method.APP):
            return latest
        record = ConsentRecord.objects.create(
            pupil=pupil, guardian=guardian, form=current, decision=decision, method=method,
            recorded_by=recorded_by, decided_at=timezone.now(), signed_on=signed_on,
        )
        chain.record(
            f"consent.{decision}", scope=scopes.pupil(pupil.pk), actor=recorded_by,
            subjects=[guardian, pupil],
            payload={
                "record": record.pk, "purpose": target.code, "form": current.pk,
                "version": current.version, "text_sha256": current.text_hash,
                "method": method, "guardian": guardian.pk, "pupil": pupil.pk,
                "recorded_by": recorded_by.pk,
                "signed_on": signed_on.isoformat() if signed_on else None,
                "decided_at": record.decided_at.isoformat(),
            },
        )
        transaction.on_commit(lambda: consent_changed.send(
            sender=ConsentRecord, pupil=pupil, purpose=target.code, decision=decision,
            record=record,
        ))
    return record


def record_paper(
    staff: Any, guardian: Any, pupil: Pupil, purpose: ConsentPurpose | str, decision: str,
    signed_on: date,
) -> ConsentRecord:
    """Record a paper form a guardian signed, by staff of the pupil's class or an admin.
    It takes effect when it is recorded; ``signed_on`` is kept with it."""
    if not can(staff, "consent.record_paper", pupil):
        raise PermissionDenied(_("You cannot record consent for this pupil."))
    if signed_on > timezone.localdate():
        raise ValidationError(_("The signing date cannot be in the future."))
    return decide(guardian, pupil, purpose, decision, method=ConsentRecord.Method.PAPER,
                  recorded_by=staff, signed_on=signed_on)


def request_consent(
    staff: Any, school_class: SchoolClass, purpose: ConsentPurpose | str
) -> ConsentRequest:
    """Ask the guardians of a class to decide on the current form of ``purpose``. Asking again
    about the same version adds nothing."""
    if not can(staff, "consent.request", school_class):
        raise PermissionDenied(_("You cannot ask this class's parents for consent."))
    with transaction.atomic():
        target = purpose_for(school_class.school_id, purpose)
        form = target.current_form()
        if form is None:
            raise ValidationError(_("This purpose has no form to ask about yet."))
        existing = ConsentRequest.objects.filter(
            school_class=school_class, purpose=target, form=form
        ).first()
        if existing is not None:
            return existing
        request = ConsentRequest.objects.create(
            school_class=school_class, purpose=target, form=form, requested_by=staff,
            requested_at=timezone.now(),
        )
        chain.record(
            "consent.requested", scope=scopes.school_class(school_class.pk), actor=staff,
            subjects=[staff],
            payload={"request": request.pk, "class": school_class.pk, "purpose": target.code,
                     "form": form.pk, "version": form.version},
        )
    return request


def one_off_purpose(school: School, *, code: str, name: str, text: str,
                    actor: User) -> ConsentPurpose:
    """A purpose asked once, about one thing (a trip's permission slip, ``activities``), with
    its first form version. The caller has checked that ``actor`` may ask it (its own rule:
    staff announcing the trip, who cannot word the school's standing forms). The purpose stays
    off the school's consent pages (``ConsentPurpose.objects.standing()``); decisions on it are
    ordinary records (:func:`decide`)."""
    text = text.strip()
    if not text:
        raise ValidationError(_("Write the text parents are asked to agree to."), code="text")
    with transaction.atomic():
        purpose = ConsentPurpose.objects.create(school=school, code=code, name=name,
                                                one_off=True, position=0)
        form = ConsentForm.objects.create(purpose=purpose, version=1, text=text,
                                          published_at=timezone.now())
        chain.record(
            "consent.form_published", scope=scopes.school(school.pk), actor=actor,
            subjects=[actor],
            payload={"purpose": code, "form": form.pk, "version": form.version,
                     "text": form.text, "text_sha256": form.text_hash, "one_off": True},
        )
    return purpose
