"""Erasure: a person asks to be forgotten, or a leaver's account outlives the school's period.

What it does, and why:
- The archive is never changed: its payloads hold ids, not names, and every page, search,
  export and audit line names people from their live account. Erasing therefore rewrites the
  live account (contact details, profile, sign-in secrets deleted; the name replaced by a
  pseudonym, "Former parent 7F3A") and appends one ``account.erased`` record saying which
  subject is pseudonymised. The chains stay verifiable: nothing archived is edited.
- A pupil's record (``accounts.Pupil``) is erased with the pupil's account, or on its own for
  a pupil without one (a ``pupil.erased`` record): its name becomes the pseudonym, its birth
  date and reference go, and what the records duty keeps about it reads the pseudonym.
- The pseudonym is stable per person: derived from the account's id with a keyed hash (the
  installation's secret key), so the same person always gets the same one and nobody without
  the key can tell whose it is.
- What the records duty keeps stays (messages, consent decisions, the audit log, each for its
  retention category's period; everything under a legal hold; safeguarding case notes in the
  archive): :func:`plan` says what will be kept, until when, and what will be erased.
- Other apps delete what they hold about the person when :data:`accounts.signals.person_erased`
  is sent in the erasure's transaction (messaging: unsent uploads unless a hold covers the
  person, one-to-one titles; notifications: devices).
- A leaver's account is anonymised the same way once the school's ``leavers`` period has
  passed since they left (:func:`anonymise_due_leavers`), unless a legal hold covers them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from accounts import signals
from accounts.access import can
from accounts.actions.leavers import process_leaver, pupil_leaves
from accounts.models import (
    ERASED_REF_PREFIX,
    Guardianship,
    Invitation,
    Pupil,
    RecoveryCode,
    Role,
    School,
    User,
)
from accounts.rules import operator_managed
from archive import chain, scopes
from archive.models import AuditEntry, Category, LegalHold, Record
from archive.retention import retention_days
from consent.models import ConsentRecord
from messaging.models import Attachment, Conversation, Membership
from messaging.retention import KINDS_OF
from records.models import ErasureRequest

ERASED_KIND = "account.erased"
# A pupil record without an account, erased on its own (an account's erasure covers its
# pupil record in its ``account.erased`` record, ``"pupil"`` in the payload).
PUPIL_ERASED_KIND = "pupil.erased"
MESSAGE_KINDS = ("message.posted", "message.edited", "message.retracted")
# Archive records of safeguarding case notes, by their scope's or their kind's prefix.
SAFEGUARDING_PREFIX = "safeguarding"


def pseudonym_code(user_id: int) -> str:
    """Four characters, the same for the same account on this installation."""
    return salted_hmac("schoolchat.erasure.pseudonym", str(user_id)).hexdigest()[:4].upper()


def pseudonym(user: User) -> str:
    """"Former parent 7F3A": in the school's language, as it is stored once."""
    code = pseudonym_code(user.pk)
    with translation.override(user.school.preferred_language if user.school is not None
                              else settings.LANGUAGE_CODE):
        staff = _("Former staff member %(code)s")
        labels: dict[str, str] = {
            Role.PARENT: _("Former parent %(code)s"), Role.PUPIL: _("Former pupil %(code)s"),
            Role.TEACHER: _("Former teacher %(code)s"), Role.STAFF: staff, Role.ADMIN: staff,
        }
        label = labels.get(str(user.role), _("Former member %(code)s"))
        return label % {"code": code}


def pupil_pseudonym(pupil: Pupil) -> str:
    """"Former pupil 7F3A": a pupil with an account has the account's pseudonym; one without
    gets one derived the same way from the pupil record's id."""
    if pupil.user_id is not None:
        return pseudonym(User.objects.get(pk=pupil.user_id))
    code = salted_hmac("schoolchat.erasure.pupil", str(pupil.pk)).hexdigest()[:4].upper()
    with translation.override(pupil.school.preferred_language):
        return _("Former pupil %(code)s") % {"code": code}


def erased_ids(user_ids: Iterable[int | None] | None = None) -> set[int]:
    """The accounts among ``user_ids`` (all, without) that have been erased."""
    rows = ErasureRequest.objects.filter(state=ErasureRequest.State.ERASED, person__isnull=False)
    if user_ids is not None:
        rows = rows.filter(person_id__in=[u for u in user_ids if u is not None])
    return {pk for pk in rows.values_list("person_id", flat=True) if pk is not None}


def erased_pupil_ids() -> set[int]:
    """The pupil records that have been erased (alone or with their account)."""
    rows = ErasureRequest.objects.filter(state=ErasureRequest.State.ERASED, pupil__isnull=False)
    return {pk for pk in rows.values_list("pupil_id", flat=True) if pk is not None}


@dataclass(frozen=True)
class Kept:
    """What the records duty keeps in one retention category, and until when."""

    category: str
    label: str
    days: int
    count: int
    until: date | None  # None: counted from an event still to come (a pupil leaving)


@dataclass
class Plan:
    person: User | None
    kept: list[Kept] = field(default_factory=list)
    holds: list[LegalHold] = field(default_factory=list)
    safeguarding: int = 0
    archive_records: int = 0
    erasable: list[str] = field(default_factory=list)

    @property
    def keeps_uploads(self) -> bool:
        return bool(self.holds)


def holds_covering(person: User, moment: datetime | None = None) -> list[LegalHold]:
    """Legal holds in force on the person, on a conversation they were in, on a pupil they
    are a guardian of, or on their own pupil record."""
    now = moment or timezone.now()
    if person.school_id is None:
        return []
    conversations = Membership.objects.filter(user=person).values("conversation_id")
    pupils = Q(pupil__in=Guardianship.objects.filter(guardian=person).values("pupil_id"))
    pupils |= Q(pupil__in=Pupil.objects.filter(user=person).values("pk"))
    return list(
        LegalHold.objects.filter(school_id=person.school_id, placed_at__lte=now)
        .filter(Q(lifted_at__isnull=True) | Q(lifted_at__gt=now))
        .filter(Q(user=person) | Q(conversation__in=conversations) | pupils)
        .select_related("user", "pupil", "conversation__school_class").order_by("placed_at")
    )


def _until(latest: datetime | None, days: int) -> date | None:
    return timezone.localdate(latest + timedelta(days=days)) if latest else None


def _kept_messages(person: User, days: dict[str, int], labels: dict[str, str]) -> list[Kept]:
    sent = Record.objects.filter(actor=person, kind__in=MESSAGE_KINDS,
                                 payload__isnull=False).exclude(conversation_id=None)
    kinds = dict(Conversation.objects.filter(pk__in=sent.values("conversation_id"))
                 .values_list("pk", "kind"))
    rows: list[Kept] = []
    for category, conversation_kinds in KINDS_OF.items():
        ids = [pk for pk, kind in kinds.items() if kind in conversation_kinds]
        mine = sent.filter(conversation_id__in=ids)
        count = mine.count()
        if count:
            latest = mine.aggregate(latest=Max("created_at"))["latest"]
            rows.append(Kept(category, labels[category], days[category], count,
                             _until(latest, days[category])))
    return rows


def plan(person: User, moment: datetime | None = None) -> Plan:
    """What erasing ``person`` keeps (and until when), what covers them, and what it erases."""
    now = moment or timezone.now()
    days = retention_days(person.school)
    labels = {str(k): str(v) for k, v in Category.choices}
    result = Plan(person, kept=_kept_messages(person, days, labels))
    files = Attachment.objects.filter(uploader=person, message__isnull=False)
    if files.exists():
        latest = files.aggregate(latest=Max("created_at"))["latest"]
        result.kept.append(Kept(Category.ATTACHMENTS, labels[Category.ATTACHMENTS],
                                days[Category.ATTACHMENTS], files.count(),
                                _until(latest, days[Category.ATTACHMENTS])))
    decisions = ConsentRecord.objects.filter(Q(guardian=person) | Q(recorded_by=person)
                                             | Q(pupil__user=person))
    if decisions.exists():
        # Kept until the pupil has left plus the period: open while any of them is at school.
        left = list(Pupil.objects.filter(pk__in=decisions.values("pupil_id"))
                    .values_list("left_on", flat=True))
        days_left = [d for d in left if d is not None]
        until = (max(days_left) + timedelta(days=days[Category.CONSENT])
                 if left and len(days_left) == len(left) else None)
        result.kept.append(Kept(Category.CONSENT, labels[Category.CONSENT], days[Category.CONSENT],
                                decisions.count(), until))
    audited = AuditEntry.objects.filter(actor=person)
    if audited.exists():
        latest = audited.aggregate(latest=Max("at"))["latest"]
        result.kept.append(Kept(Category.AUDIT, labels[Category.AUDIT], days[Category.AUDIT],
                                audited.count(), _until(latest, days[Category.AUDIT])))
    concerning = Record.objects.filter(
        Q(actor=person) | Q(subjects__user_id=person.pk)
        | Q(subjects__pupil_id__in=Pupil.objects.filter(user=person).values("pk"))
        # Their reports: the reporter is in the payload only, never a subject.
        | Q(scope=scopes.safeguarding(person.school_id), payload__content__reporter=person.pk))
    result.archive_records = concerning.distinct().count()
    result.safeguarding = concerning.filter(
        Q(scope__startswith=f"{SAFEGUARDING_PREFIX}:") | Q(kind__startswith=f"{SAFEGUARDING_PREFIX}.")
    ).distinct().count()
    result.holds = holds_covering(person, now)
    result.erasable = _erasable(person, keep_uploads=bool(result.holds))
    return result


def plan_for(request: ErasureRequest, moment: datetime | None = None) -> Plan:
    """The plan of a request: its account's, or (a pupil without one) its pupil record's."""
    if request.person is not None:
        return plan(request.person, moment)
    assert request.pupil is not None  # a request names an account or a pupil record
    return plan_pupil(request.pupil, moment)


def plan_pupil(pupil: Pupil, moment: datetime | None = None) -> Plan:
    """What erasing a pupil record without an account keeps, what covers it, what goes."""
    now = moment or timezone.now()
    days = retention_days(pupil.school)
    labels = {str(k): str(v) for k, v in Category.choices}
    result = Plan(None)
    decisions = ConsentRecord.objects.filter(pupil=pupil)
    if decisions.exists():
        until = (pupil.left_on + timedelta(days=days[Category.CONSENT])
                 if pupil.left_on is not None and pupil.left_on <= timezone.localdate() else None)
        result.kept.append(Kept(Category.CONSENT, labels[Category.CONSENT], days[Category.CONSENT],
                                decisions.count(), until))
    photos = Attachment.objects.filter(pupils=pupil, message__isnull=False)
    if photos.exists():
        latest = photos.aggregate(latest=Max("created_at"))["latest"]
        result.kept.append(Kept(Category.ATTACHMENTS, labels[Category.ATTACHMENTS],
                                days[Category.ATTACHMENTS], photos.count(),
                                _until(latest, days[Category.ATTACHMENTS])))
    concerning = Record.objects.filter(subjects__pupil_id=pupil.pk)
    result.archive_records = concerning.distinct().count()
    result.safeguarding = concerning.filter(
        Q(scope__startswith=f"{SAFEGUARDING_PREFIX}:") | Q(kind__startswith=f"{SAFEGUARDING_PREFIX}.")
    ).distinct().count()
    result.holds = list(
        LegalHold.objects.filter(school_id=pupil.school_id, pupil=pupil, placed_at__lte=now)
        .filter(Q(lifted_at__isnull=True) | Q(lifted_at__gt=now))
        .select_related("user", "pupil", "conversation__school_class").order_by("placed_at"))
    result.erasable = [_("Their name, replaced by a pseudonym in everything kept"),
                       _("Their pupil record's name, date of birth and the school's reference; "
                         "consent decisions, photo tags and class lists kept show the pseudonym")]
    if pupil.left_on is None or pupil.left_on > timezone.localdate():
        result.erasable.append(_("Their place in their classes: they leave the school's class "
                                 "lists and groups"))
    return result


def _erasable(person: User, *, keep_uploads: bool) -> list[str]:
    things = [_("Their name, replaced by a pseudonym in everything kept"),
              _("Their user name, school reference and language")]
    if person.email or person.phone:
        things.append(_("Their contact details (e-mail address and phone number)"))
    things.append(_("Their password, two-factor secret, recovery codes and invitation links"))
    things.append(_("Their sessions, sign-in attempts, devices and push notification "
                    "subscriptions"))
    unsent = Attachment.objects.filter(uploader=person, message__isnull=True).count()
    if unsent and not keep_uploads:
        things.append(_("Files they uploaded but never sent: %(count)d") % {"count": unsent})
    if person.is_active:
        things.append(_("Their account: it is closed and they leave every conversation"))
    if Pupil.objects.filter(user=person).exists():
        things.append(_("Their pupil record's name, date of birth and the school's reference; "
                        "consent decisions, photo tags and class lists kept show the pseudonym"))
    return things


# --- Requests and their outcome ----------------------------------------------------------------

def record_request(dpo: User, person: User | Pupil, note: str = "") -> ErasureRequest:
    """The DPO notes that ``person`` asked to be erased; nothing is erased until confirmed.
    ``person`` may be a pupil record: one with an account is erased with the account."""
    if isinstance(person, Pupil):
        if person.user_id is None:
            return _record_pupil_request(dpo, person, note)
        person = User.objects.get(pk=person.user_id)
    if not can(dpo, "archive.erase", person):
        raise PermissionDenied(_("You cannot erase this person's data."))
    if person.pk == dpo.pk or operator_managed(person):
        # Separation of duties: the accounts that oversee the records are the operator's.
        raise ValidationError(_("Only the operator can erase this account."), code="operator")
    with transaction.atomic():
        User.objects.select_for_update().get(pk=person.pk)  # one open request at a time
        if ErasureRequest.objects.filter(person=person).exclude(
                state=ErasureRequest.State.WITHDRAWN).exists():
            raise ValidationError(_("This person's erasure has already been requested."),
                                  code="duplicate")
        assert person.school_id is not None  # the rule allows only a person of the DPO's school
        request = ErasureRequest.objects.create(school_id=person.school_id, person=person,
                                                pupil=Pupil.objects.filter(user=person).first(),
                                                requested_by=dpo, note=(note or "").strip())
        chain.record("erasure.requested", scope=scopes.dpo(person.school_id), actor=dpo,
                       subjects=[person], payload={"user": person.pk, "request": request.pk})
        _audit(dpo, "erasure.requested", request=request.pk, user=person.pk)
    return request


def _record_pupil_request(dpo: User, pupil: Pupil, note: str) -> ErasureRequest:
    if not can(dpo, "archive.erase", pupil):
        raise PermissionDenied(_("You cannot erase this person's data."))
    with transaction.atomic():
        Pupil.objects.select_for_update().get(pk=pupil.pk)  # one open request at a time
        if ErasureRequest.objects.filter(pupil=pupil).exclude(
                state=ErasureRequest.State.WITHDRAWN).exists():
            raise ValidationError(_("This person's erasure has already been requested."),
                                  code="duplicate")
        request = ErasureRequest.objects.create(school_id=pupil.school_id, pupil=pupil,
                                                requested_by=dpo, note=(note or "").strip())
        chain.record("erasure.requested", scope=scopes.dpo(pupil.school_id), actor=dpo,
                       subjects=[pupil], payload={"pupil": pupil.pk, "request": request.pk})
        _audit(dpo, "erasure.requested", request=request.pk, pupil=pupil.pk)
    return request


def _about(request: ErasureRequest) -> tuple[list[User | Pupil], dict[str, int]]:
    """The archive subjects and payload keys naming a request's subject."""
    if request.person is not None:
        return [request.person], {"user": request.person.pk}
    assert request.pupil is not None
    return [request.pupil], {"pupil": request.pupil.pk}


def withdraw(dpo: User, request: ErasureRequest) -> ErasureRequest:
    if not can(dpo, "archive.erase", request):
        raise PermissionDenied(_("You cannot erase this person's data."))
    with transaction.atomic():
        locked = ErasureRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state != ErasureRequest.State.REQUESTED:
            return locked
        locked.state = ErasureRequest.State.WITHDRAWN
        locked.decided_by, locked.decided_at = dpo, timezone.now()
        locked.save(update_fields=["state", "decided_by", "decided_at"])
        subjects, names = _about(locked)
        chain.record("erasure.withdrawn", scope=scopes.dpo(locked.school_id), actor=dpo,
                       subjects=subjects, payload={**names, "request": locked.pk})
        _audit(dpo, "erasure.withdrawn", request=locked.pk, **names)
    return locked


def confirm(dpo: User, request: ErasureRequest) -> ErasureRequest:
    """The DPO confirms: the person is erased now (see :func:`erase`)."""
    if not can(dpo, "archive.erase", request):
        raise PermissionDenied(_("You cannot erase this person's data."))
    with transaction.atomic():
        locked = ErasureRequest.objects.select_for_update(of=("self",)).select_related(
            "person", "pupil").get(pk=request.pk)
        if locked.state != ErasureRequest.State.REQUESTED:
            return locked
        if locked.person is None:
            _erase_pupil_record(locked, by=dpo)
        else:
            _erase(locked, by=dpo)
        _audit(dpo, "erasure.confirmed", request=locked.pk, **_about(locked)[1])
    return locked


def _audit(actor: User | None, action: str, **details: Any) -> None:
    AuditEntry.objects.create(school_id=getattr(actor, "school_id", None), actor=actor,
                              action=action, details=details)


def _erase(request: ErasureRequest, *, by: User | None) -> None:
    """Inside the caller's transaction, with the request locked."""
    assert request.person_id is not None  # a pupil record alone: _erase_pupil_record
    person = User.objects.select_for_update().get(pk=request.person_id)
    keep_uploads = bool(holds_covering(person))
    if person.left_at is None:
        process_leaver(person, actor=by)  # sessions, sockets, memberships, invitations
        person.refresh_from_db()
    name = pseudonym(person)
    deleted: dict[str, int] = {
        "invitations": Invitation.objects.filter(user=person).delete()[0],
        "recovery_codes": RecoveryCode.objects.filter(user=person).delete()[0],
        # Sign-in attempts name the account and the address it was tried from.
        "sign_in_attempts": sum(model.objects.filter(username__iexact=person.username).delete()[0]
                                for model in (AccessAttempt, AccessLog, AccessFailureLog)),
    }
    person.display_name = name
    person.username = f"erased-{salted_hmac('schoolchat.erasure.username', str(person.pk)).hexdigest()[:16]}"
    person.first_name = person.last_name = person.email = person.phone = ""
    person.ref = person.language = person.sourced_id = ""
    person.totp_secret, person.totp_confirmed_at, person.totp_last_step = "", None, None
    person.is_active = False
    person.set_unusable_password()
    person.save()
    pupil = Pupil.objects.select_for_update().filter(user=person).first()
    if pupil is not None:
        deleted.update(_erase_pupil(pupil, name=name, by=by))
        request.pupil = pupil
    for _receiver, answer in signals.person_erased.send(sender=User, user=person,
                                                        keep_uploads=keep_uploads):
        if isinstance(answer, dict):
            deleted.update(answer)
    moment = timezone.now()
    request.state = ErasureRequest.State.ERASED
    request.decided_by = by
    request.decided_at = request.erased_at = moment
    request.erased = deleted
    request.save(update_fields=["state", "decided_by", "decided_at", "erased_at", "erased",
                                "pupil"])
    subjects: list[User | Pupil] = [person] if pupil is None else [person, pupil]
    payload: dict[str, Any] = {"user": person.pk, "pseudonym": name, "request": request.pk,
                               "automatic": by is None, "kept_uploads": keep_uploads,
                               "deleted": deleted}
    if pupil is not None:
        payload["pupil"] = pupil.pk
    chain.record(ERASED_KIND, scope=scopes.school(person.school_id), actor=by,
                   subjects=subjects, payload=payload)


def _erase_pupil_record(request: ErasureRequest, *, by: User | None) -> None:
    """A pupil without an account: only the pupil record changes; ``pupil.erased`` says so."""
    assert request.pupil_id is not None
    pupil = Pupil.objects.select_for_update().get(pk=request.pupil_id)
    name = pupil_pseudonym(pupil)
    deleted = _erase_pupil(pupil, name=name, by=by)
    moment = timezone.now()
    request.state = ErasureRequest.State.ERASED
    request.decided_by = by
    request.decided_at = request.erased_at = moment
    request.erased = deleted
    request.save(update_fields=["state", "decided_by", "decided_at", "erased_at", "erased"])
    chain.record(PUPIL_ERASED_KIND, scope=scopes.school(pupil.school_id), actor=by,
                   subjects=[pupil],
                   payload={"pupil": pupil.pk, "pseudonym": name, "request": request.pk,
                            "automatic": by is None, "deleted": deleted})


def _erase_pupil(pupil: Pupil, *, name: str, by: User | None) -> dict[str, int]:
    """The pupil record keeps only what the records duty needs: the consent decisions, photo
    tags, guardianships and enrolments that refer to it now name the pseudonym. The pupil
    leaves their classes (if not already), which starts the consent period."""
    if pupil.left_on is None or pupil.left_on > timezone.localdate():
        pupil_leaves(pupil, actor=by)
        pupil.refresh_from_db()
    # Split so that every "first last" rendering reads the pseudonym whole.
    first, _space, last = name.rpartition(" ")
    pupil.first_name, pupil.last_name = (first, last) if first else (name, "")
    stand_in = salted_hmac("schoolchat.erasure.pupil_ref", str(pupil.pk)).hexdigest()[:16]
    pupil.ref = f"{ERASED_REF_PREFIX}{stand_in}"
    # The records system's id goes too: a later OneRoster file makes a new pupil of it.
    pupil.sourced_id = ""
    had_birth_date = pupil.date_of_birth is not None
    pupil.date_of_birth = None
    pupil.save(update_fields=["first_name", "last_name", "ref", "sourced_id", "date_of_birth"])
    return {"pupil_record": 1, "date_of_birth": int(had_birth_date)}


# --- Leavers ---------------------------------------------------------------------------------

def due_leavers(school: School, now: datetime | None = None) -> list[User]:
    """Leavers of ``school`` whose ``leavers`` period has passed since they left, not yet
    erased and not covered by a legal hold."""
    moment = now or timezone.now()
    cutoff = moment - timedelta(days=retention_days(school)[Category.LEAVERS])
    candidates = (User.objects.filter(school=school, left_at__isnull=False, left_at__lte=cutoff)
                  .exclude(pk__in=ErasureRequest.objects.filter(
                      state=ErasureRequest.State.ERASED).values("person_id"))
                  .order_by("pk"))
    return [u for u in candidates if not holds_covering(u, moment)]


def anonymise_due_leavers(now: datetime | None = None,
                          schools: Iterable[School] | None = None) -> int:
    """Anonymise every due leaver, each in its own transaction; returns how many."""
    done = 0
    for school in schools if schools is not None else School.objects.order_by("pk"):
        for person in due_leavers(school, now):
            with transaction.atomic():
                request = (ErasureRequest.objects.select_for_update()
                           .filter(person=person, state=ErasureRequest.State.REQUESTED).first())
                if request is None:
                    request = ErasureRequest.objects.create(
                        school=school, person=person, note=_("Left the school; the school's "
                                                             "period for leavers' accounts passed."))
                _erase(request, by=None)
            done += 1
    return done
