"""What a booking leaves behind: its calendar files, the card, the pupil's and the guardian's
subject access exports, and retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from accounts.models import Pupil, User
from archive import chain, sections
from archive.models import Payload, Record
from archive.retention import apply_retention
from meetings import card
from meetings.actions import bookings, feeds
from meetings.models import Booking, MeetingRound
from meetings.queries import between, free_slots
from messaging.actions.send import post_message
from messaging.models import Conversation, Message
from records.export import collect

pytestmark = pytest.mark.django_db


def _book(round_: MeetingRound, teacher: User, parent: User) -> Booking:
    slot = free_slots(round_).filter(teacher=teacher).first()
    assert slot is not None
    return bookings.book(parent, round_, slot, Pupil.objects.get(guardianships__guardian=parent))


def test_a_bookings_ics_file_parses_and_says_when_where_and_with_whom(
        round_4b: MeetingRound, teacher: User, parent: User, parent2: User) -> None:
    booking = _book(round_4b, teacher, parent)
    client = Client()
    client.force_login(parent)
    response = client.get(reverse("meetings:booking_ics", args=[booking.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert event.decoded("dtstart") == booking.slot.starts_at
    assert event.decoded("dtend") == booking.slot.ends_at
    assert "Ms de Vries" in str(event["summary"])
    assert str(event["location"]) == "Hall"
    other = Client()
    other.force_login(parent2)
    assert other.get(reverse("meetings:booking_ics", args=[booking.pk])).status_code == 404


def test_a_teachers_private_feed_parses_holds_their_meetings_and_a_new_address_ends_the_old(
        round_4b: MeetingRound, teacher: User, parent: User) -> None:
    booking = _book(round_4b, teacher, parent)
    client = Client()
    client.force_login(teacher)
    page = client.post(reverse("meetings:feed_page")).content.decode()
    first = feeds.renew_feed(teacher)
    assert "/meetings/calendar/" in page
    anonymous = Client()
    response = anonymous.get(reverse("meetings:feed", args=[first]))
    assert response.status_code == 200
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [f"meeting-booking-{booking.pk}@schoolchat"]
    # The teacher's feed names the child by first name only, and nobody else's meetings.
    assert str(events[0]["summary"]).endswith(": Emma")
    second = feeds.renew_feed(teacher)
    assert anonymous.get(reverse("meetings:feed", args=[first])).status_code == 404
    assert anonymous.get(reverse("meetings:feed", args=[second])).status_code == 200
    assert anonymous.get(reverse("meetings:feed", args=["not-a-secret"])).status_code == 404


def test_between_lists_a_persons_own_meetings_in_the_range(
        round_4b: MeetingRound, teacher: User, parent: User, parent2: User) -> None:
    booking = _book(round_4b, teacher, parent)
    start = booking.slot.starts_at - timedelta(hours=1)
    assert [i.booking for i in between(parent, start, start + timedelta(hours=3))] == [booking]
    assert [i.booking for i in between(teacher, start, start + timedelta(hours=3))] == [booking]
    assert between(parent2, start, start + timedelta(hours=3)) == []
    assert between(parent, start + timedelta(hours=3), start + timedelta(hours=4)) == []


def _as(user: User) -> HttpRequest:
    """A request of ``user``, as the chat page renders a card for its reader."""
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_the_card_shows_a_family_its_bookings_and_staff_the_counts_and_others_nothing(
        conversation_4b: Conversation, round_4b: MeetingRound, teacher: User, parent: User,
        parent_5a: User) -> None:
    booking = _book(round_4b, teacher, parent)
    message = Message.objects.get(card=f"meeting_round:{round_4b.pk}")
    family = card.render(message, _as(parent))
    assert "Book a time" in family and "Emma" in family
    assert booking.teacher.public_name in family
    staff = card.render(message, _as(teacher))
    assert "1 booked" in staff and "9 free" in staff
    assert card.render(message, _as(parent_5a)) == ""
    client = Client()
    client.force_login(parent)
    fetched = client.get(reverse("messaging:card", args=[conversation_4b.pk, message.pk]))
    assert fetched.status_code == 200 and "Emma" in fetched.content.decode()


def test_a_pupils_export_holds_their_bookings_and_the_guardians_holds_the_events(
        round_4b: MeetingRound, teacher: User, parent: User) -> None:
    booking = _book(round_4b, teacher, parent)
    bookings.cancel(parent, booking)
    again = _book(round_4b, teacher, parent)
    found = dict((s.name, c) for s, c in sections.gather(again.pupil))
    keys = [c.key for c in found["meetings"]]
    assert keys == [f"meeting_booking:{booking.pk}", f"meeting_booking:{again.pk}"] or keys == [
        f"meeting_booking:{again.pk}", f"meeting_booking:{booking.pk}"]
    assert any("(cancelled)" in c.text for c in found["meetings"])
    data = collect(user=parent)
    kinds = [e["kind"] for e in data["events"]]
    assert kinds.count("meetings.booked") == 2 and "meetings.cancelled" in kinds


def test_retention_purges_old_bookings_and_their_payloads_never_a_messages(
        conversation_4b: Conversation, round_4b: MeetingRound, teacher: User,
        parent: User) -> None:
    booking = _book(round_4b, teacher, parent)
    # A message whose id is the booking's: its records must survive the bookings' purge.
    message = Message.objects.filter(pk=booking.pk).first()
    if message is None and connection.vendor == "postgresql":
        # Sequences are not rolled back between tests: the next message takes the booking's id.
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('messaging_message', 'id'), "
                           "%s, false)", [booking.pk])
    while message is None:
        posted, _new = post_message(teacher, conversation_4b, "Hello")
        message = posted if posted.pk == booking.pk else None
        assert posted.pk <= booking.pk
    same_id = list(Record.objects.filter(message_id=booking.pk).values_list("pk", flat=True))
    assert same_id
    # Past the bookings' 365 days, before the chat's 400.
    later = booking.slot.ends_at + timedelta(days=370)
    outcomes = apply_retention(now=later, only=[round_4b.school])
    assert not Booking.objects.filter(pk=booking.pk).exists()
    booked = Record.objects.get(kind="meetings.booked")
    assert not Payload.objects.filter(record=booked).exists()
    assert Payload.objects.filter(record_id__in=same_id).count() == len(same_id)
    assert any(o.category == "meetings" and o.messages == 1 for o in outcomes)
    assert chain.verify().intact
    assert timezone.now() < later
