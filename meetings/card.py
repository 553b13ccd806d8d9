"""The round's card on the messages that announce it (``messaging.cards``): for a family, their
own bookings and "Book a time"; for those who run the round, how many times are booked and
free. Anyone else gets nothing (the message's text stands)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.access import can
from accounts.models import User
from meetings.access import family_bookings, family_pupils
from meetings.live import CARD_KIND
from meetings.models import Booking, MeetingRound
from meetings.queries import free_slots
from messaging import cards
from messaging.models import Message


def render(message: Message, request: HttpRequest) -> str:
    reader = request.user
    if not isinstance(reader, User):
        return ""
    round_id = cards.card_id(message)
    round_ = MeetingRound.objects.filter(pk=round_id).first() if round_id else None
    if round_ is None or not can(reader, "meetings.view_round", round_):
        return ""
    context: dict[str, object] = {"round": round_, "message": message,
                                  "open": round_.closes_at > timezone.now()}
    if family_pupils(reader, round_).exists():
        context["bookings"] = (family_bookings(reader, round_)
                               .select_related("slot", "teacher", "pupil")
                               .order_by("slot__starts_at"))
        context["family"] = True
    if can(reader, "meetings.schedule", round_):
        context["booked"] = Booking.objects.filter(round=round_,
                                                   cancelled_at__isnull=True).count()
        context["free"] = free_slots(round_).count()
        context["runs"] = True
    return render_to_string("meetings/_card.html", context, request=request)


KIND = cards.CardKind(CARD_KIND, render)
