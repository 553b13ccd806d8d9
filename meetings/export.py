"""A pupil's parents' evening bookings in their subject access export (``archive.sections``):
each booking, live or cancelled, with its time, teacher and who booked it. The booking
guardian's own export holds the same bookings as events (their archive records name them)."""

from __future__ import annotations

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import Pupil
from archive.sections import Candidate, Section, register_section
from meetings.models import Booking


def bookings_of(pupil: Pupil) -> list[Candidate]:
    found = (Booking.objects.filter(pupil=pupil).select_related("slot", "round", "teacher")
             .order_by("slot__starts_at", "pk"))
    candidates = []
    for booking in found:
        moment = formats.date_format(timezone.localtime(booking.slot.starts_at), "j E Y H:i")
        text = _("%(when)s with %(teacher)s") % {"when": moment,
                                                 "teacher": booking.teacher.public_name}
        if booking.cancelled_at is not None:
            text = _("%(meeting)s (cancelled)") % {"meeting": text}
        candidates.append(Candidate(
            key=f"meeting_booking:{booking.pk}", at=booking.created_at, place=booking.round.title,
            actor_id=booking.booked_by_id, text=text,
            facts={"booking": booking.pk, "round": booking.round_id,
                   "starts_at": booking.slot.starts_at.isoformat(),
                   "cancelled_at": booking.cancelled_at.isoformat()
                   if booking.cancelled_at else None}))
    return candidates


def register() -> None:
    register_section(Section("meetings", lambda: _("Parents' evening bookings"), bookings_of))
