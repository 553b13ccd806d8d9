"""A teacher (or the round's author, or the office) blocks a slot or moves a booking.

A moved booking's family is told after the commit (a push, else an e-mail:
``meetings.signals.families_to_tell``), as is the family of a booking the school cancels.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import User
from archive import chain, scopes
from meetings.actions.bookings import SlotTaken
from meetings.live import round_changed
from meetings.models import Booking, MeetingSlot
from meetings.queries import nearest_free
from meetings.signals import families_to_tell


def _live_booking(slot: MeetingSlot) -> Booking | None:
    return Booking.objects.filter(slot=slot, cancelled_at__isnull=True).first()


def block(actor: User, slot: MeetingSlot) -> None:
    """Take a free slot out: nobody can book it. A booked slot's booking is moved first."""
    if not can(actor, "meetings.manage_slot", slot):
        raise PermissionDenied(_("You cannot change this time."))
    with transaction.atomic():
        locked = MeetingSlot.objects.select_for_update().get(pk=slot.pk)
        if _live_booking(locked) is not None:
            raise ValidationError(_("This time is booked: move the meeting to another time "
                                    "first."), code="booked")
        if locked.blocked_at is not None:
            return
        locked.blocked_at = slot.blocked_at = timezone.now()
        locked.save(update_fields=["blocked_at"])
        chain.record("meetings.slot_blocked", scope=scopes.meetings(slot.round.school_id),
                     actor=actor, subjects=[slot.teacher],
                     payload={"round": slot.round_id, "slot": slot.pk,
                              "starts_at": slot.starts_at.isoformat()})
        round_changed(slot.round)


def unblock(actor: User, slot: MeetingSlot) -> None:
    """Give a blocked slot back to the families."""
    if not can(actor, "meetings.manage_slot", slot):
        raise PermissionDenied(_("You cannot change this time."))
    with transaction.atomic():
        if not MeetingSlot.objects.filter(pk=slot.pk, blocked_at__isnull=False).update(
                blocked_at=None):
            return
        slot.blocked_at = None
        chain.record("meetings.slot_unblocked", scope=scopes.meetings(slot.round.school_id),
                     actor=actor, subjects=[slot.teacher],
                     payload={"round": slot.round_id, "slot": slot.pk,
                              "starts_at": slot.starts_at.isoformat()})
        round_changed(slot.round)


def move(actor: User, booking: Booking, to: MeetingSlot) -> Booking:
    """Move a booking to another free slot of the same teacher in the same round; the family
    is told. The new slot is taken as a booking is: the database decides who was first."""
    if not can(actor, "meetings.manage_slot", booking.slot) or not can(
            actor, "meetings.manage_slot", to):
        raise PermissionDenied(_("You cannot change this time."))
    if booking.cancelled_at is not None:
        raise ValidationError(_("This meeting was cancelled."), code="cancelled")
    if to.round_id != booking.round_id or to.teacher_id != booking.teacher_id:
        raise ValidationError(_("Choose another time of the same teacher in this parents' "
                                "evening."), code="outside")
    if to.blocked_at is not None:
        raise SlotTaken(to, nearest_free(to))
    with transaction.atomic():
        old_slot = booking.slot
        try:
            with transaction.atomic():
                updated = Booking.objects.filter(pk=booking.pk, cancelled_at__isnull=True
                                                 ).update(slot=to)
        except IntegrityError as exc:
            raise SlotTaken(to, nearest_free(to)) from exc
        if not updated:
            raise ValidationError(_("This meeting was cancelled."), code="cancelled")
        booking.slot = to
        chain.record("meetings.moved", scope=scopes.meetings(to.round.school_id), actor=actor,
                     subjects=[booking.pupil, booking.teacher, *([booking.booked_by]
                                                                 if booking.booked_by else [])],
                     payload={"round": to.round_id, "booking": booking.pk,
                              "from_slot": old_slot.pk, "to_slot": to.pk,
                              "from": old_slot.starts_at.isoformat(),
                              "to": to.starts_at.isoformat(), "pupil": booking.pupil_id})
        round_changed(to.round)
        ids = [booking.pk]
        transaction.on_commit(lambda: families_to_tell.send(sender=None, booking_ids=ids,
                                                            what="moved"))
    return booking
