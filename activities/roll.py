"""Who an activity concerns and where each child stands: replies, the permission slip and the
trip list. Every page, the card, the reminders and the exports read these; nothing here writes.

- An activity's children are the children its conversations concern
  (``messaging.access.concerned_pupils``: a class group's current pupils; a group's members'
  enrolled children).
- The guardians who may reply and sign for a child hold parental responsibility and are not
  marked no-contact (:func:`signing_guardians`).
- A slip counts (:func:`slips`) under its rule: **any** — the latest decision of those guardians
  stands (as ``consent.services.has_consent`` reads consent), so a withdrawal wins over every
  older signature; **all** — each of those guardians' own latest decision is a signature.
- The trip list (:func:`trip_list`): children whose slip counts (when a slip is asked), who
  are not absent (``activities.absent``) and whose reply is not "not coming".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Guardianship, Pupil, User
from activities.absent import absent
from activities.models import Activity, Rsvp
from consent.models import ConsentRecord
from messaging.access import concerned_pupils

Decision = ConsentRecord.Decision


def pupils(activity: Activity) -> QuerySet[Pupil]:
    """The children the activity concerns, by name."""
    query = Q(pk__in=[])
    for conversation in activity.conversations.all():
        query |= Q(pk__in=concerned_pupils(conversation).values("pk"))
    return Pupil.objects.filter(query, school_id=activity.school_id).order_by(
        "first_name", "last_name", "pk")


def signing_guardians(pupil_ids: Collection[int]) -> dict[int, list[int]]:
    """Per pupil, the active guardians who may reply and sign: parental responsibility, not
    marked no-contact."""
    found: dict[int, list[int]] = {pid: [] for pid in pupil_ids}
    for pupil_id, guardian_id in (
        Guardianship.objects.filter(pupil_id__in=list(pupil_ids), parental_responsibility=True,
                                    no_contact=False, guardian__is_active=True)
        .order_by("pk").values_list("pupil_id", "guardian_id")
    ):
        found[pupil_id].append(guardian_id)
    return found


def children_for(user: User, activity: Activity) -> list[Pupil]:
    """The activity's children ``user`` may reply and sign for."""
    return list(pupils(activity).filter(
        guardianships__guardian=user, guardianships__parental_responsibility=True,
        guardianships__no_contact=False).distinct())


def guardian_of(user: User, pupil: Pupil) -> Guardianship | None:
    return Guardianship.objects.filter(guardian=user, pupil=pupil).first()


@dataclass
class Slip:
    """One child's permission slip as it stands now."""

    counts: bool = False
    # Guardians whose own latest decision is a signature.
    signed_by: list[int] = field(default_factory=list)
    # Guardians who still need to sign for the slip to count (empty when it counts).
    waiting_for: list[int] = field(default_factory=list)
    # The latest decision was a withdrawal (or a refusal): shown as such on the lists.
    withdrawn: bool = False


def slips(activity: Activity, pupil_ids: Collection[int]) -> dict[int, Slip]:
    """Each child's slip under the activity's rule (see the module's docstring)."""
    if activity.slip_id is None:
        return {}
    eligible = signing_guardians(pupil_ids)
    own_latest: dict[int, dict[int, str]] = {pid: {} for pid in pupil_ids}
    overall: dict[int, str] = {}
    for pupil_id, guardian_id, decision in (
        ConsentRecord.objects.filter(form__purpose_id=activity.slip_id,
                                     pupil_id__in=list(pupil_ids),
                                     decided_at__lte=timezone.now())
        # Uses index: consent_record_pupil_time.
        .order_by("decided_at", "pk").values_list("pupil_id", "guardian_id", "decision")
    ):
        if guardian_id not in eligible[pupil_id]:
            continue  # no say here (any more): a no-contact guardian's decision never counts
        own_latest[pupil_id][guardian_id] = decision
        overall[pupil_id] = decision
    result: dict[int, Slip] = {}
    for pid in pupil_ids:
        mine = own_latest[pid]
        signed = [g for g in eligible[pid] if mine.get(g) == Decision.GRANTED]
        if activity.slip_rule == Activity.SlipRule.ALL:
            counts = bool(eligible[pid]) and len(signed) == len(eligible[pid])
            waiting = [] if counts else [g for g in eligible[pid] if g not in signed]
        else:
            counts = overall.get(pid) == Decision.GRANTED
            waiting = [] if counts else list(eligible[pid])
        result[pid] = Slip(counts=counts, signed_by=signed, waiting_for=waiting,
                           withdrawn=overall.get(pid) in (Decision.WITHDRAWN, Decision.REFUSED))
    return result


def replies(activity: Activity, pupil_ids: Collection[int] | None = None) -> dict[int, Rsvp]:
    rows = activity.rsvps.all()
    if pupil_ids is not None:
        rows = rows.filter(pupil_id__in=list(pupil_ids))
    return {r.pupil_id: r for r in rows}


@dataclass
class Row:
    """One child on the staff's list."""

    pupil: Pupil
    reply: Rsvp | None
    slip: Slip | None
    absent: bool

    @property
    def may_go(self) -> bool:
        return ((self.slip is None or self.slip.counts) and not self.absent
                and not (self.reply is not None and self.reply.answer == Rsvp.Answer.NOT_COMING))


@dataclass
class Overview:
    activity: Activity
    rows: list[Row]

    def count(self, answer: str) -> int:
        return sum(1 for r in self.rows if r.reply is not None and r.reply.answer == answer)

    @property
    def coming(self) -> int:
        return self.count(Rsvp.Answer.COMING)

    @property
    def maybe(self) -> int:
        return self.count(Rsvp.Answer.MAYBE)

    @property
    def not_coming(self) -> int:
        return self.count(Rsvp.Answer.NOT_COMING)

    @property
    def unanswered(self) -> int:
        return sum(1 for r in self.rows if r.reply is None)

    @property
    def signed(self) -> int:
        return sum(1 for r in self.rows if r.slip is not None and r.slip.counts)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def going(self) -> list[Row]:
        return [r for r in self.rows if r.may_go]


def overview(activity: Activity, on: date | None = None) -> Overview:
    """Every child of the activity with their reply, slip and absence on the activity's day
    (``on``: another day)."""
    children = list(pupils(activity))
    ids = [p.pk for p in children]
    day = on or timezone.localdate(activity.starts_at)
    away = absent(ids, day)
    answers = replies(activity, ids)
    slip_of = slips(activity, ids)
    return Overview(activity, [Row(p, answers.get(p.pk), slip_of.get(p.pk), p.pk in away)
                               for p in children])


def trip_list(activity: Activity) -> list[Row]:
    """The children who may go on the activity's day."""
    return overview(activity).going
