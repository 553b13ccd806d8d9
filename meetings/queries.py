"""Questions about rounds, slots and bookings that pages, cards, feeds and actions share.

:func:`between` is the one a calendar page asks: a person's meetings between two moments.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Enrolment, Pupil, StaffAssignment, User
from meetings.access import (
    family_pupils,
    meets_families,
    responsible_guardianships,
    teacher_roles,
)
from meetings.models import Booking, MeetingRound, MeetingSlot

# How many free slots a family is shown when the one they chose was taken, and how many
# back-to-back plans a family with several children is offered.
NEAREST = 3
PLANS = 3
# Families with more children than this are offered no back-to-back plans (the search grows
# with the orders of their children's teachers); they book slot by slot.
MAX_PLANNED = 4


def free_slots(round_: MeetingRound, *, now: datetime | None = None) -> QuerySet[MeetingSlot]:
    """Slots nobody holds: not blocked, no live booking, not begun."""
    return (MeetingSlot.objects.filter(round=round_, blocked_at__isnull=True,
                                       starts_at__gt=now or timezone.now())
            .exclude(pk__in=Booking.objects.filter(round=round_, cancelled_at__isnull=True)
                     .values("slot_id"))
            .order_by("starts_at", "pk"))


def nearest_free(slot: MeetingSlot, count: int = NEAREST) -> list[MeetingSlot]:
    """The free slots of the same teacher nearest in time to ``slot``: what a family is shown
    when someone else was quicker."""
    free = list(free_slots(slot.round).filter(teacher_id=slot.teacher_id).exclude(pk=slot.pk)
                .select_related("teacher"))
    free.sort(key=lambda s: (abs((s.starts_at - slot.starts_at).total_seconds()), s.starts_at))
    return sorted(free[:count], key=lambda s: s.starts_at)


def teachers_of(pupil: Pupil, round_: MeetingRound) -> list[User]:
    """The teachers ``pupil`` has in ``round_``: those of the pupil's classes in the round who
    have slots there."""
    classes = Enrolment.objects.current().filter(
        pupil=pupil, school_class__in=round_.classes.all()).values("school_class_id")
    ids = StaffAssignment.objects.filter(school_class_id__in=classes).values("user_id")
    return list(User.objects.filter(pk__in=ids, role__in=teacher_roles(),
                                    meeting_slots__round=round_).distinct()
                .order_by("display_name", "pk"))


def round_teachers(round_: MeetingRound) -> QuerySet[User]:
    """Everyone with slots in the round."""
    return User.objects.filter(meeting_slots__round=round_).distinct().order_by(
        "display_name", "pk")


def round_families(round_: MeetingRound) -> list[int]:
    """The ids of the guardians who may book in the round: whom a change is hinted to."""
    pupils = Enrolment.objects.current().filter(
        school_class__in=round_.classes.all()).values("pupil_id")
    return sorted(set(responsible_guardianships().filter(
        pupil_id__in=pupils, guardian__is_active=True).values_list("guardian_id", flat=True)))


@dataclass(frozen=True)
class Need:
    """A meeting a family still has to book: one child, one teacher."""

    pupil: Pupil
    teacher: User
    booking: Booking | None


def needs(user: User, round_: MeetingRound) -> list[Need]:
    """Each of ``user``'s children in the round with each of their teachers, and the family's
    live booking for the pair if there is one."""
    booked = {(b.pupil_id, b.teacher_id): b for b in
              Booking.objects.filter(round=round_, cancelled_at__isnull=True)
              .filter(Q(holder=0) | Q(holder=user.pk))
              .filter(pupil__in=family_pupils(user, round_)).select_related("slot")}
    return [Need(pupil, teacher, booked.get((pupil.pk, teacher.pk)))
            for pupil in family_pupils(user, round_)
            for teacher in teachers_of(pupil, round_)]


def gap(before: MeetingSlot, after: MeetingSlot) -> timedelta:
    """Time to allow between two meetings of one family: none in the same room, one slot's
    length to walk to another."""
    return timedelta() if before.room == after.room else before.ends_at - before.starts_at


def back_to_back(before: MeetingSlot, after: MeetingSlot) -> bool:
    return after.starts_at == before.ends_at + gap(before, after)


def sibling_plans(open_needs: list[Need], free: Iterable[MeetingSlot],
                  count: int = PLANS) -> list[list[tuple[Need, MeetingSlot]]]:
    """Back-to-back meetings for a family with several meetings to book: each plan takes one
    free slot per need, each starting when the one before ends (plus a slot's length where the
    room changes). The earliest plans first, at most ``count``."""
    if not 2 <= len(open_needs) <= MAX_PLANNED:
        return []
    by_teacher: dict[int, list[MeetingSlot]] = {}
    for slot in free:
        by_teacher.setdefault(slot.teacher_id, []).append(slot)
    plans: list[list[tuple[Need, MeetingSlot]]] = []
    for order in itertools.permutations(open_needs):
        for first in by_teacher.get(order[0].teacher.pk, []):
            plan = [(order[0], first)]
            for need in order[1:]:
                last = plan[-1][1]
                follow = next((s for s in by_teacher.get(need.teacher.pk, [])
                               if back_to_back(last, s) and all(s.pk != p.pk for _, p in plan)),
                              None)
                if follow is None:
                    break
                plan.append((need, follow))
            if len(plan) == len(order):
                plans.append(plan)
    plans.sort(key=lambda p: (p[0][1].starts_at, [s.pk for _, s in p]))
    unique: list[list[tuple[Need, MeetingSlot]]] = []
    seen: set[frozenset[int]] = set()
    for plan in plans:
        key = frozenset(s.pk for _, s in plan)
        if key not in seen:
            seen.add(key)
            unique.append(plan)
    return unique[:count]


@dataclass(frozen=True)
class CalendarItem:
    """One meeting in a person's calendar."""

    uid: str
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str
    url: str
    booking: Booking | None
    slot: MeetingSlot


def between(person: User, start: datetime, end: datetime) -> list[CalendarItem]:
    """A person's parents' evening meetings that begin in [start, end), in time order.

    For a teacher: their slots that are booked (with the child's first name), in every round.
    For a guardian: their family's live bookings (as :func:`meetings.access.family_bookings`
    shows them), never another family's. Anyone else has none. This is what a calendar page
    or feed registers for meetings; it asks no permission beyond "one's own".
    """
    items: list[CalendarItem] = []
    if meets_families(person):
        for booking in (Booking.objects.filter(teacher=person, cancelled_at__isnull=True,
                                               slot__starts_at__gte=start,
                                               slot__starts_at__lt=end)
                        .select_related("slot", "round", "pupil")):
            items.append(_item(booking, f"{booking.round.title}: {booking.pupil.first_name}"))
    children = responsible_guardianships().filter(guardian=person).values("pupil_id")
    for booking in (Booking.objects.filter(pupil_id__in=children, cancelled_at__isnull=True,
                                           slot__starts_at__gte=start, slot__starts_at__lt=end)
                    .filter(Q(holder=0) | Q(holder=person.pk))
                    .select_related("slot", "round", "pupil", "teacher")):
        items.append(_item(booking, f"{booking.round.title}: {booking.teacher.public_name}"))
    return sorted(items, key=lambda i: (i.starts_at, i.uid))


def _item(booking: Booking, title: str) -> CalendarItem:
    round_ = booking.round
    return CalendarItem(
        uid=f"meeting-booking-{booking.pk}", title=title, starts_at=booking.slot.starts_at,
        ends_at=booking.slot.ends_at, place=booking.slot.room or round_.place,
        url=round_.video_link, booking=booking, slot=booking.slot)
