"""Who publishes a parents' evening, who books in it, who sees and changes what.

- A round is published by a member of staff for the classes they are assigned to, or by the
  office (role staff) or the admin for any class of the school.
- It is seen by those who run it (its author, the teachers who have slots in it, the office and
  the admin) and by the families of its classes: a guardian with parental responsibility and
  no contact ban, whose child is in one of its classes today. Everyone else gets a 404.
- A family books and cancels its own bookings: either guardian, or in a round "one booking per
  guardian" each their own. A no-contact guardian never can.
- A slot's teacher blocks it and moves its booking; so may the round's author and the office.
- A teacher has a private calendar feed of their own slots.

Each rule sits beside its queryset twin, so a list and its page cannot disagree.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts.access import rule
from accounts.models import Enrolment, Guardianship, Pupil, Role, SchoolClass, User
from meetings.models import Booking, MeetingRound, MeetingSlot

OFFICE_ROLES = frozenset({Role.STAFF, Role.ADMIN})


def is_office(user: User, school_id: int | None) -> bool:
    """The school's office or admin: they publish and run rounds for the whole school."""
    return school_id is not None and user.school_id == school_id and user.role in OFFICE_ROLES


def meets_families(user: User) -> bool:
    """Whether the staff assigned to a class get slots in its rounds: its teachers do."""
    return user.role == Role.TEACHER


def teacher_roles() -> frozenset[str]:
    """The roles :func:`meets_families` answers yes for, for a query."""
    return frozenset({Role.TEACHER})


def responsible_guardianships() -> QuerySet[Guardianship]:
    """Guardianships that may book: parental responsibility and no contact ban."""
    return Guardianship.objects.filter(parental_responsibility=True, no_contact=False)


def family_pupils(user: User, round_: MeetingRound) -> QuerySet[Pupil]:
    """The children ``user`` may book for in ``round_``: theirs (parental responsibility, no
    contact ban), in one of the round's classes today."""
    if user.school_id != round_.school_id:
        return Pupil.objects.none()
    return Pupil.objects.filter(
        pk__in=responsible_guardianships().filter(guardian=user).values("pupil_id"),
    ).filter(pk__in=Enrolment.objects.current().filter(
        school_class__in=round_.classes.all()).values("pupil_id")).order_by("first_name", "pk")


def runs_round(user: User, round_: MeetingRound) -> bool:
    return (is_office(user, round_.school_id)
            or (user.school_id == round_.school_id
                and (round_.created_by_id == user.pk
                     or round_.slots.filter(teacher=user).exists())))


@rule("meetings.publish")
def _publish(user: User, school_class: Any) -> bool:
    """Staff of the class, or the office, publish a round for it."""
    if not isinstance(school_class, SchoolClass) or user.school_id != school_class.school_id:
        return False
    return is_office(user, school_class.school_id) or (
        user.is_class_staff_role and school_class.staff.filter(pk=user.pk).exists())


def publishable_classes(user: User) -> QuerySet[SchoolClass]:
    """The queryset twin of ``meetings.publish``."""
    if user.school_id is None:
        return SchoolClass.objects.none()
    classes = SchoolClass.objects.filter(school_id=user.school_id)
    if not is_office(user, user.school_id):
        classes = classes.filter(staff=user) if user.is_class_staff_role else classes.none()
    return classes.order_by("name")


@rule("meetings.view_round")
def _view_round(user: User, round_: Any) -> bool:
    return isinstance(round_, MeetingRound) and (
        runs_round(user, round_) or family_pupils(user, round_).exists())


def visible_rounds(user: User) -> QuerySet[MeetingRound]:
    """The queryset twin of ``meetings.view_round``."""
    if user.school_id is None:
        return MeetingRound.objects.none()
    rounds = MeetingRound.objects.filter(school_id=user.school_id)
    if is_office(user, user.school_id):
        return rounds
    children = responsible_guardianships().filter(guardian=user).values("pupil_id")
    classes = Enrolment.objects.current().filter(pupil_id__in=children).values("school_class_id")
    return rounds.filter(Q(created_by=user) | Q(slots__teacher=user)
                         | Q(classes__in=classes)).distinct()


@rule("meetings.book")
def _book(user: User, round_: Any) -> bool:
    return isinstance(round_, MeetingRound) and family_pupils(user, round_).exists()


def holds(user: User, booking: Booking) -> bool:
    """Whether ``booking`` is ``user``'s family's (or, per guardian, their own)."""
    if booking.holder and booking.holder != user.pk:
        return False
    return responsible_guardianships().filter(guardian=user, pupil_id=booking.pupil_id).exists()


@rule("meetings.cancel")
def _cancel(user: User, booking: Any) -> bool:
    return isinstance(booking, Booking) and booking.live and holds(user, booking)


@rule("meetings.view_booking")
def _view_booking(user: User, booking: Any) -> bool:
    if not isinstance(booking, Booking):
        return False
    return (holds(user, booking) or booking.teacher_id == user.pk
            or is_office(user, booking.round.school_id) or booking.round.created_by_id == user.pk)


def family_bookings(user: User, round_: MeetingRound) -> QuerySet[Booking]:
    """The live bookings ``user`` sees as their family's: the twin of ``meetings.view_booking``
    for a family."""
    mine = Booking.objects.filter(
        round=round_, cancelled_at__isnull=True,
        pupil_id__in=responsible_guardianships().filter(guardian=user).values("pupil_id"))
    return mine.filter(Q(holder=0) | Q(holder=user.pk))


def visible_bookings(user: User, round_: MeetingRound) -> QuerySet[Booking]:
    """The queryset twin of ``meetings.view_booking``, for one round: all of its bookings for
    the office and the round's author, a teacher's own slots' and a family's own."""
    bookings = Booking.objects.filter(round=round_)
    if user.school_id != round_.school_id:
        return bookings.none()
    if is_office(user, round_.school_id) or round_.created_by_id == user.pk:
        return bookings
    held = Q(pupil_id__in=responsible_guardianships().filter(guardian=user).values("pupil_id"),
             holder__in=(0, user.pk))
    return bookings.filter(Q(teacher=user) | held)


@rule("meetings.manage_slot")
def _manage_slot(user: User, slot: Any) -> bool:
    return isinstance(slot, MeetingSlot) and user.school_id == slot.round.school_id and (
        slot.teacher_id == user.pk or is_office(user, slot.round.school_id)
        or slot.round.created_by_id == user.pk)


@rule("meetings.schedule")
def _schedule(user: User, round_: Any) -> bool:
    return isinstance(round_, MeetingRound) and runs_round(user, round_)


@rule("meetings.calendar_feed")
def _calendar_feed(user: User, person: Any) -> bool:
    """A teacher's own feed of their slots."""
    return isinstance(person, User) and person.pk == user.pk and meets_families(user)
