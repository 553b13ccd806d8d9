"""A family books, changes and cancels its meetings.

First come, first served: the booking is an INSERT that the database refuses when the slot
already holds a live booking (``meetings_booking_one_per_slot``). Two families pressing the
same slot at the same instant both reach the INSERT; on PostgreSQL the second waits for the
first to commit and is then refused, on SQLite the writers take turns. The refusal is caught
inside a savepoint and answered with :class:`SlotTaken`: a sentence, and the nearest free slots
of the same teacher.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import Pupil, User
from archive import chain, scopes
from meetings.access import family_pupils
from meetings.live import round_changed
from meetings.models import Booking, MeetingRound, MeetingSlot
from meetings.queries import free_slots, nearest_free, teachers_of

SLOT_CONSTRAINT = "meetings_booking_one_per_slot"


class SlotTaken(ValidationError):
    """Someone else was quicker: the sentence, and the free slots nearest to the one asked."""

    def __init__(self, slot: MeetingSlot, nearest: list[MeetingSlot]) -> None:
        if nearest:
            sentence = _("Someone else has just booked this time. Please choose another: the "
                         "nearest free times are shown.")
        else:
            sentence = _("Someone else has just booked this time, and every other time with "
                         "%(teacher)s is taken.") % {"teacher": slot.teacher.public_name}
        super().__init__(sentence, code="taken")
        self.slot = slot
        self.nearest = nearest


def when(moment: datetime) -> str:
    """A moment as a sentence names it, in the active language and time zone."""
    return formats.date_format(timezone.localtime(moment), "l j E H:i")


def _booking_window(user: User, round_: MeetingRound, now: datetime) -> None:
    siblings = family_pupils(user, round_).count() > 1
    opens = round_.opens_for(siblings)
    if now < opens:
        raise ValidationError(_("Booking opens %(when)s.") % {"when": when(opens)},
                              code="not_open")
    if now >= round_.closes_at:
        raise ValidationError(_("Booking closed %(when)s.") % {"when": when(round_.closes_at)},
                              code="closed")


def _check_choice(user: User, round_: MeetingRound, slot: MeetingSlot, pupil: Pupil,
                  now: datetime) -> None:
    if slot.round_id != round_.pk:
        raise ValidationError(_("That time is not part of this parents' evening."),
                              code="outside")
    if not family_pupils(user, round_).filter(pk=pupil.pk).exists():
        raise ValidationError(_("You cannot book for this child in this parents' evening."),
                              code="not_your_child")
    if slot.teacher_id not in {t.pk for t in teachers_of(pupil, round_)}:
        raise ValidationError(_("%(teacher)s does not teach %(child)s.") % {
            "teacher": slot.teacher.public_name, "child": pupil.first_name}, code="not_teacher")
    if slot.starts_at <= now:
        raise ValidationError(_("That time has passed."), code="past")


def _existing(user: User, round_: MeetingRound, slot: MeetingSlot, pupil: Pupil,
              holder: int) -> Booking | None:
    return (Booking.objects.select_for_update()
            .filter(round=round_, pupil=pupil, teacher_id=slot.teacher_id, holder=holder,
                    cancelled_at__isnull=True).first())


def _insert(user: User, round_: MeetingRound, slot: MeetingSlot, pupil: Pupil,
            holder: int, now: datetime) -> Booking:
    """The INSERT that decides who was first, in a savepoint of its own."""
    try:
        with transaction.atomic():
            return Booking.objects.create(slot=slot, round=round_, teacher_id=slot.teacher_id,
                                          pupil=pupil, booked_by=user, holder=holder,
                                          created_at=now)
    except IntegrityError as exc:
        if SLOT_CONSTRAINT in str(exc) or _taken(slot):
            raise SlotTaken(slot, nearest_free(slot)) from exc
        raise ValidationError(_("You already have a meeting with %(teacher)s about %(child)s.")
                              % {"teacher": slot.teacher.public_name,
                                 "child": pupil.first_name}, code="already") from exc


def _taken(slot: MeetingSlot) -> bool:
    return Booking.objects.filter(slot=slot, cancelled_at__isnull=True).exists()


def _one(user: User, round_: MeetingRound, slot: MeetingSlot, pupil: Pupil,
         now: datetime) -> tuple[Booking, Booking | None]:
    """Book ``slot`` for ``pupil`` inside the caller's transaction; a family that already has
    a meeting with that teacher about that child changes it (until the deadline)."""
    _check_choice(user, round_, slot, pupil, now)
    if slot.blocked_at is not None or _taken(slot):
        raise SlotTaken(slot, nearest_free(slot))
    holder = user.pk if round_.per == MeetingRound.Per.GUARDIAN else 0
    previous = _existing(user, round_, slot, pupil, holder)
    if previous is not None:
        if previous.slot_id == slot.pk:
            raise ValidationError(_("You have already booked this time."), code="same")
        if now >= round_.change_deadline:
            raise ValidationError(_("Changes are no longer possible: the deadline was "
                                    "%(when)s.") % {"when": when(round_.change_deadline)},
                                  code="deadline")
        previous.cancelled_at = now
        previous.save(update_fields=["cancelled_at"])
    return _insert(user, round_, slot, pupil, holder, now), previous


def _record(user: User, booking: Booking, previous: Booking | None) -> None:
    chain.record(
        "meetings.changed" if previous else "meetings.booked",
        scope=scopes.meetings(booking.round.school_id), actor=user,
        subjects=[user, booking.pupil, booking.teacher],
        payload={"round": booking.round_id, "booking": booking.pk, "slot": booking.slot_id,
                 "pupil": booking.pupil_id, "teacher": booking.teacher_id,
                 "starts_at": booking.slot.starts_at.isoformat(),
                 "previous_booking": previous.pk if previous else None})


def book(user: User, round_: MeetingRound, slot: MeetingSlot, pupil: Pupil) -> Booking:
    """Book ``slot`` for ``pupil``. Raises ``PermissionDenied`` for someone who may not book in
    the round, :class:`SlotTaken` when someone else holds the slot, and ``ValidationError``
    with a sentence for anything else (outside the window, past the deadline, the wrong
    teacher, a time not in the round)."""
    return book_together(user, round_, [(slot, pupil)])[0]


def book_together(user: User, round_: MeetingRound,
                  choices: Sequence[tuple[MeetingSlot, Pupil]]) -> list[Booking]:
    """Book several meetings at once (siblings' back-to-back slots): all or none."""
    if not can(user, "meetings.book", round_):
        raise PermissionDenied(_("You cannot book in this parents' evening."))
    if not choices:
        raise ValidationError(_("Choose a time."), code="empty")
    now = timezone.now()
    _booking_window(user, round_, now)
    if len({slot.pk for slot, _pupil in choices}) != len(choices):
        raise ValidationError(_("Choose a different time for each meeting."), code="twice")
    with transaction.atomic():
        made = [_one(user, round_, slot, pupil, now) for slot, pupil in choices]
        for booking, previous in made:
            _record(user, booking, previous)
        round_changed(round_)
    return [booking for booking, _previous in made]


def cancel(user: User, booking: Booking) -> None:
    """Cancel a family's booking, until the round's change deadline."""
    if not can(user, "meetings.cancel", booking):
        raise PermissionDenied(_("You cannot cancel this meeting."))
    round_ = booking.round
    now = timezone.now()
    if now >= round_.change_deadline:
        raise ValidationError(_("Changes are no longer possible: the deadline was %(when)s.")
                              % {"when": when(round_.change_deadline)}, code="deadline")
    with transaction.atomic():
        updated = Booking.objects.filter(pk=booking.pk, cancelled_at__isnull=True).update(
            cancelled_at=now)
        if not updated:
            return
        booking.cancelled_at = now
        chain.record("meetings.cancelled", scope=scopes.meetings(round_.school_id), actor=user,
                     subjects=[user, booking.pupil, booking.teacher],
                     payload={"round": round_.pk, "booking": booking.pk, "slot": booking.slot_id,
                              "pupil": booking.pupil_id, "teacher": booking.teacher_id})
        round_changed(round_)


def full(round_: MeetingRound, teacher: User) -> bool:
    """Whether every slot with ``teacher`` in the round is taken."""
    return not free_slots(round_).filter(teacher=teacher).exists()
