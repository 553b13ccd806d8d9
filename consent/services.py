"""Questions about consent: the current state, what is pending, who lacks what.

``has_consent`` is the one question the rest of the system asks.
The rules, also in docs/consent.md:

- The latest decision on a purpose by any guardian with parental responsibility stands, so a
  withdrawal wins over every older grant, and a grant after a withdrawal counts again.
- A new version of a purpose's form does not void existing decisions: a grant on version 1
  stays valid until a guardian decides on version 2, which guardians see as pending meanwhile.
- ``at`` asks about a moment in the past; decisions take effect when they are recorded, so the
  answer for a past moment never changes afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

import consent
from accounts.models import Enrolment, Pupil, SchoolClass
from consent.access import children_of
from consent.defaults import NAMES
from consent.models import ConsentForm, ConsentPurpose, ConsentRecord, ConsentRequest


def has_consent(pupil: Pupil, purpose: str, at: datetime | None = None) -> bool:
    """True when the latest decision on ``purpose`` for ``pupil`` at ``at`` is a grant."""
    moment = at or timezone.now()
    latest = (
        ConsentRecord.objects.filter(
            pupil=pupil, form__purpose__code=purpose,
            form__purpose__school_id=pupil.school_id, decided_at__lte=moment,
        )
        # Uses index: consent_record_pupil_time.
        .order_by("-decided_at", "-pk")
        .values_list("decision", flat=True)
        .first()
    )
    return latest == ConsentRecord.Decision.GRANTED


def purpose_for(school_id: int, purpose: ConsentPurpose | str) -> ConsentPurpose:
    if isinstance(purpose, ConsentPurpose):
        return purpose
    return ConsentPurpose.objects.get(school_id=school_id, code=purpose)


def consenting_pupils(
    pupil_ids: Iterable[int], purpose: str, at: datetime | None = None
) -> set[int]:
    """The bulk twin of ``has_consent``: which of these pupils have consent, in one query
    (for pages that show many photos)."""
    moment = at or timezone.now()
    latest: dict[int, str] = {}
    for pupil_id, decision in (
        ConsentRecord.objects.filter(
            pupil_id__in=list(pupil_ids), form__purpose__code=purpose, decided_at__lte=moment,
            form__purpose__school_id=F("pupil__school_id"),
        )
        .order_by("decided_at", "pk")
        .values_list("pupil_id", "decision")
    ):
        latest[pupil_id] = decision
    return {pid for pid, decision in latest.items() if decision == ConsentRecord.Decision.GRANTED}


@dataclass
class PurposeState:
    """One pupil's standing on one purpose, as a guardian or the coverage page shows it."""

    purpose: ConsentPurpose
    form: ConsentForm | None
    latest: ConsentRecord | None
    pending: bool
    history: list[ConsentRecord] = field(default_factory=list)

    @property
    def granted(self) -> bool:
        return self.latest is not None and self.latest.decision == ConsentRecord.Decision.GRANTED

    @property
    def label(self) -> str:
        if self.latest is None:
            return _("no answer yet")
        return str(self.latest.get_decision_display())


def _current_forms(school_id: int) -> dict[int, ConsentForm]:
    forms: dict[int, ConsentForm] = {}
    for form in ConsentForm.objects.filter(
        purpose__school_id=school_id, published_at__lte=timezone.now()
    ).order_by("version"):
        forms[form.purpose_id] = form
    return forms


def _requested(pupil_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(pupil id, purpose id) pairs some staff member asked about in a current class."""
    class_of: dict[int, list[int]] = {}
    for pupil_id, class_id in Enrolment.objects.current().filter(pupil_id__in=pupil_ids).values_list(
        "pupil_id", "school_class_id"
    ):
        class_of.setdefault(class_id, []).append(pupil_id)
    pairs: set[tuple[int, int]] = set()
    for class_id, purpose_id in ConsentRequest.objects.filter(
        school_class_id__in=list(class_of)
    ).values_list("school_class_id", "purpose_id"):
        for pupil_id in class_of[class_id]:
            pairs.add((pupil_id, purpose_id))
    return pairs


def states(pupils: Sequence[Pupil], *, with_history: bool = False) -> dict[int, list[PurposeState]]:
    """Every purpose of each pupil's school with its current state, per pupil id.

    Pending means: no decision yet on the current form version, and either staff asked (a
    request for one of the pupil's classes) or a guardian decided on an older version.
    """
    if not pupils:
        return {}
    school_ids = {p.school_id for p in pupils}
    purposes: dict[int, list[ConsentPurpose]] = {school_id: [] for school_id in school_ids}
    for purpose in ConsentPurpose.objects.standing().filter(school_id__in=school_ids):
        purposes[purpose.school_id].append(purpose)
    forms: dict[int, ConsentForm] = {}
    for school_id in school_ids:
        forms.update(_current_forms(school_id))
    pupil_ids = [p.pk for p in pupils]
    history_of: dict[tuple[int, int], list[ConsentRecord]] = {}
    for record in (
        ConsentRecord.objects.filter(pupil_id__in=pupil_ids, decided_at__lte=timezone.now())
        .select_related("form", "guardian", "recorded_by")
        .order_by("decided_at", "pk")
    ):
        history_of.setdefault((record.pupil_id, record.form.purpose_id), []).append(record)
    requested = _requested(pupil_ids)
    result: dict[int, list[PurposeState]] = {}
    for pupil in pupils:
        rows: list[PurposeState] = []
        for purpose in purposes[pupil.school_id]:
            history = history_of.get((pupil.pk, purpose.pk), [])
            form = forms.get(purpose.pk)
            answered = form is not None and any(r.form_id == form.pk for r in history)
            asked = bool(history) or (pupil.pk, purpose.pk) in requested
            rows.append(PurposeState(
                purpose=purpose, form=form, latest=history[-1] if history else None,
                pending=form is not None and asked and not answered,
                history=history[::-1] if with_history else [],
            ))
        result[pupil.pk] = rows
    return result


def pending_for_guardian(user: Any) -> list[tuple[Pupil, ConsentPurpose]]:
    """What this guardian is asked to decide now, for the children they may decide for."""
    pupils = list(children_of(user))
    if not pupils:
        return []
    by_pupil = states(pupils)
    return [(pupil, s.purpose) for pupil in pupils for s in by_pupil[pupil.pk] if s.pending]


def class_pupils(school_class: SchoolClass) -> list[Pupil]:
    ids = Enrolment.objects.current().filter(school_class=school_class).values("pupil_id")
    return list(Pupil.objects.filter(pk__in=ids).order_by("first_name", "last_name", "pk"))


@dataclass
class Coverage:
    purpose: ConsentPurpose
    lacking: list[tuple[Pupil, PurposeState]]
    total: int


def coverage(school_class: SchoolClass) -> list[Coverage]:
    """Per purpose, exactly the class's current pupils without consent, with their state."""
    pupils = class_pupils(school_class)
    by_pupil = states(pupils)
    result = []
    for purpose in ConsentPurpose.objects.standing().filter(school_id=school_class.school_id):
        lacking = []
        for pupil in pupils:
            state = next(s for s in by_pupil[pupil.pk] if s.purpose.pk == purpose.pk)
            if not state.granted:
                lacking.append((pupil, state))
        result.append(Coverage(purpose=purpose, lacking=lacking, total=len(pupils)))
    return result


def photo_purposes(tagged: int) -> list[str]:
    """The consents a photo needs from each pupil it tags: photos in class groups, and when it
    tags two or more pupils, photos together with other children too."""
    return [consent.PHOTOS_CLASS, consent.PHOTOS_TOGETHER] if tagged >= 2 else [
        consent.PHOTOS_CLASS]


def missing_photo_consent(pupil: Pupil, *, tagged: int, at: datetime | None = None) -> list[str]:
    """The purposes of :func:`photo_purposes` that ``pupil`` lacks for a photo tagging
    ``tagged`` pupils; empty when the photo may be shown."""
    return [code for code in photo_purposes(tagged) if not has_consent(pupil, code, at=at)]


def photo_may_show(pupil: Pupil, *, tagged: int, at: datetime | None = None) -> bool:
    """The photo-consent rule, the one every caller asks: may a photo tagging ``pupil`` among
    ``tagged`` tagged pupils be posted, and stay shown? Posting asks it (through
    :func:`photo_problems`), and so does hiding a posted photo after a withdrawal."""
    return not missing_photo_consent(pupil, tagged=tagged, at=at)


def photos_may_show(tags: dict[int, list[int]], at: datetime | None = None) -> set[int]:
    """The bulk twin of :func:`photo_may_show` for pages and exports with many photos: of
    these photos (key -> the ids of the pupils it tags), the keys whose every tagged pupil
    gives the consents :func:`photo_purposes` asks. A photo tagging nobody may show."""
    every = {pid for ids in tags.values() for pid in ids}
    together = {pid for ids in tags.values() if len(set(ids)) >= 2 for pid in ids}
    granted = {consent.PHOTOS_CLASS: consenting_pupils(every, consent.PHOTOS_CLASS, at=at)
               if every else set(),
               consent.PHOTOS_TOGETHER: consenting_pupils(together, consent.PHOTOS_TOGETHER,
                                                          at=at) if together else set()}
    return {key for key, ids in tags.items()
            if all(pid in granted[code] for code in photo_purposes(len(set(ids)))
                   for pid in ids)}


def photo_problems(pupils: Iterable[Pupil]) -> list[str]:
    """Why a photo tagging ``pupils`` may not be posted; empty when it may.

    One reason per pupil and missing consent (:func:`missing_photo_consent`), naming the pupil:
    only for a sender who may know that pupil's consent (``consent.view_pupil``), which the
    messaging code makes sure of before asking (``messaging.access.taggable_pupils``).
    """
    tagged = list(dict.fromkeys(pupils))
    problems: list[str] = []
    for pupil in tagged:
        for code in missing_photo_consent(pupil, tagged=len(tagged)):
            problems.append(_("%(pupil)s has no consent for “%(purpose)s”.") % {
                "pupil": pupil, "purpose": purpose_name(pupil.school_id, code),
            })
    return problems


def purpose_name(school_id: int, code: str) -> str:
    """The purpose's translated name (the code's default name if the school has no such row)."""
    purpose = ConsentPurpose.objects.filter(school_id=school_id, code=code).first()
    if purpose is not None:
        return _(purpose.name)
    return _(NAMES.get(code, code))


@dataclass(frozen=True)
class Tally:
    """One class's answers on one purpose: the latest decision per current pupil."""

    purpose: ConsentPurpose
    granted: int
    refused: int  # refused, or granted and then withdrawn
    unanswered: int


@dataclass(frozen=True)
class ClassTally:
    school_class: SchoolClass
    pupils: int
    tallies: list[Tally]


def coverage_tallies(classes: QuerySet[SchoolClass]) -> list[ClassTally]:
    """:func:`coverage` as counts, for many classes at once in four queries whatever their
    number: per class and purpose, how many of its current pupils' latest decision is a grant
    (as :func:`has_consent` answers), a refusal or withdrawal, or nothing yet."""
    school_classes = list(classes.order_by("name", "pk"))
    school_ids = {c.school_id for c in school_classes}
    purposes: dict[int, list[ConsentPurpose]] = {school_id: [] for school_id in school_ids}
    for purpose in ConsentPurpose.objects.standing().filter(school_id__in=school_ids):
        purposes[purpose.school_id].append(purpose)
    pupils_of: dict[int, set[int]] = {c.pk: set() for c in school_classes}
    for pupil_id, class_id in (Enrolment.objects.current()
                               .filter(school_class__in=[c.pk for c in school_classes])
                               .values_list("pupil_id", "school_class_id")):
        pupils_of[class_id].add(pupil_id)
    latest: dict[tuple[int, int], str] = {}
    every = {pid for ids in pupils_of.values() for pid in ids}
    for pupil_id, purpose_id, decision in (
        ConsentRecord.objects.filter(pupil_id__in=every, decided_at__lte=timezone.now(),
                                     form__purpose__school_id=F("pupil__school_id"))
        .order_by("decided_at", "pk").values_list("pupil_id", "form__purpose_id", "decision")
    ):
        latest[(pupil_id, purpose_id)] = decision
    result = []
    for school_class in school_classes:
        ids = pupils_of[school_class.pk]
        tallies = []
        for purpose in purposes[school_class.school_id]:
            answers = [latest.get((pid, purpose.pk)) for pid in ids]
            granted = sum(a == ConsentRecord.Decision.GRANTED for a in answers)
            unanswered = sum(a is None for a in answers)
            tallies.append(Tally(purpose=purpose, granted=granted, unanswered=unanswered,
                                 refused=len(answers) - granted - unanswered))
        result.append(ClassTally(school_class=school_class, pupils=len(ids), tallies=tallies))
    return result
