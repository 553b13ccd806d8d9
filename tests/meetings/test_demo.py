"""The demo school's parents' evening: one round for 4B and 5A, open for booking, with bookings in
both classes (Emma's two back to back); the card is in both class groups; a second run adds
nothing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from accounts.models import User
from meetings.models import Booking, MeetingRound
from meetings.queries import back_to_back
from messaging.models import Message


@pytest.fixture
def demo(transactional_db: None, settings: Settings) -> None:
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())


def test_the_demo_has_one_open_round_with_bookings_in_4b_and_5a(demo: None) -> None:
    round_ = MeetingRound.objects.get()
    assert round_.opens_at < timezone.now() < round_.closes_at
    assert sorted(round_.classes.values_list("name", flat=True)) == ["4B", "5A"]
    booked = Booking.objects.filter(cancelled_at__isnull=True).select_related("slot", "pupil")
    classes = {e.school_class.name for b in booked for e in b.pupil.enrolments.all()}
    assert classes == {"4B", "5A"}
    emma = sorted((b.slot for b in booked if b.pupil.first_name == "Emma"),
                  key=lambda s: s.starts_at)
    assert len(emma) == 2 and back_to_back(emma[0], emma[1])
    assert Message.objects.filter(card=f"meeting_round:{round_.pk}").count() == 2
    client = Client()
    client.force_login(User.objects.get(username="parent"))
    page = client.get(reverse("meetings:round", args=[round_.pk])).content.decode()
    assert "Emma" in page and "Cancel this meeting" in page
    call_command("seed_demo", stdout=StringIO())
    assert MeetingRound.objects.count() == 1 and Booking.objects.count() == booked.count()
