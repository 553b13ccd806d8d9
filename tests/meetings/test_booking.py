"""Publishing a round, booking, changing and cancelling, blocking and moving: what a family and
a teacher notice (the page, the sentence, the e-mail, the archive)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Guardianship, Pupil, SchoolClass, User
from archive import chain
from archive.models import Record
from meetings import tasks
from meetings.actions import bookings, reminders, slots
from meetings.actions.bookings import SlotTaken
from meetings.actions.rounds import publish_round
from meetings.models import Booking, MeetingRound, MeetingSlot
from meetings.queries import free_slots, needs, sibling_plans
from messaging.models import Conversation, Message
from notifications import push
from notifications.models import Device
from tests.meetings.conftest import plan_for

pytestmark = pytest.mark.django_db


def child_of(parent: User) -> Pupil:
    return Pupil.objects.get(guardianships__guardian=parent)


def first_free(round_: MeetingRound, teacher: User) -> MeetingSlot:
    slot = free_slots(round_).filter(teacher=teacher).first()
    assert slot is not None
    return slot


def test_a_round_has_a_slot_per_teacher_and_time_and_is_announced_with_its_card(
        conversation_4b: Conversation, teacher: User, class_4b: SchoolClass) -> None:
    round_ = publish_round(teacher, plan_for([class_4b]))
    times = list(round_.slots.order_by("starts_at").values_list("starts_at", flat=True))
    # 15:00-17:00 in 10 minutes, without 16:00-16:20.
    assert len(times) == 10
    announcement = Message.objects.get(conversation=conversation_4b, card=f"meeting_round:{round_.pk}")
    assert "book a meeting" in announcement.body
    assert Record.objects.filter(kind="meetings.round_published").count() == 1


@pytest.mark.parametrize(("change", "sentence"), [
    ({"last_day_offset": -1}, "The last day is before the first day."),
    ({"first_day_offset": -30}, "The first day is in the past."),
    ({"closes_before_opening": True}, "Booking closes before it opens."),
    ({"ends_early": True}, "The meetings end before they start."),
])
def test_a_plan_that_does_not_hold_together_gets_a_sentence_over_http(
        teacher: User, class_4b: SchoolClass, change: dict[str, object], sentence: str) -> None:
    client = Client()
    client.force_login(teacher)
    now = timezone.localtime()
    day = (now + timedelta(days=7)).date()
    data = {"title": "Evening", "classes": [class_4b.pk], "first_day": day.isoformat(),
            "last_day": day.isoformat(), "day_starts": "15:00", "day_ends": "17:00",
            "slot_minutes": 10, "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"), "per": "family"}
    if "last_day_offset" in change:
        data["last_day"] = (day - timedelta(days=1)).isoformat()
    if "first_day_offset" in change:
        data["first_day"] = (now - timedelta(days=30)).date().isoformat()
    if "closes_before_opening" in change:
        data["closes_at"] = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    if "ends_early" in change:
        data["day_ends"] = "14:00"
    response = client.post(reverse("meetings:publish"), data)
    assert response.status_code == 400
    assert sentence in response.content.decode()
    assert not MeetingRound.objects.exists()


def test_a_family_books_and_the_next_family_is_told_and_shown_the_nearest_free_times(
        round_4b: MeetingRound, teacher: User, parent: User, parent2: User) -> None:
    slot = first_free(round_4b, teacher)
    booking = bookings.book(parent, round_4b, slot, child_of(parent))
    assert booking.slot == slot and booking.booked_by == parent
    with pytest.raises(SlotTaken) as refused:
        bookings.book(parent2, round_4b, slot, child_of(parent2))
    assert "Someone else has just booked this time" in refused.value.messages[0]
    assert [s.pk for s in refused.value.nearest] and slot.pk not in {
        s.pk for s in refused.value.nearest}
    client = Client()
    client.force_login(parent2)
    response = client.post(reverse("meetings:book", args=[round_4b.pk]),
                           {"slot": slot.pk, "pupil": child_of(parent2).pk})
    page = response.content.decode()
    assert response.status_code == 409
    assert "Someone else has just booked this time" in page
    assert page.count('class="time"') > 0
    assert Booking.objects.filter(slot=slot, cancelled_at__isnull=True).count() == 1


def test_the_database_refuses_a_second_live_booking_of_a_slot(
        round_4b: MeetingRound, teacher: User, parent: User, parent2: User) -> None:
    slot = first_free(round_4b, teacher)
    bookings.book(parent, round_4b, slot, child_of(parent))
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(slot=slot, round=round_4b, teacher=teacher,
                               pupil=child_of(parent2), booked_by=parent2)


def test_both_guardians_see_the_booking_and_either_can_change_it(
        round_4b: MeetingRound, teacher: User, parent: User, parent2: User) -> None:
    other = User.objects.create(username="father", role="parent", school=parent.school)
    Guardianship.objects.create(guardian=other, pupil=child_of(parent))
    first, second = list(free_slots(round_4b).filter(teacher=teacher)[:2])
    bookings.book(parent, round_4b, first, child_of(parent))
    client = Client()
    client.force_login(other)
    page = client.get(reverse("meetings:round", args=[round_4b.pk])).content.decode()
    assert "Cancel this meeting" in page
    changed = bookings.book(other, round_4b, second, child_of(parent))
    live = Booking.objects.filter(pupil=child_of(parent), cancelled_at__isnull=True)
    assert list(live) == [changed]
    assert Record.objects.filter(kind="meetings.changed").count() == 1


def test_a_no_contact_guardian_cannot_book_or_see_the_round(
        round_4b: MeetingRound, teacher: User, parent: User) -> None:
    banned = User.objects.create(username="banned", role="parent", school=parent.school)
    Guardianship.objects.create(guardian=banned, pupil=child_of(parent), no_contact=True)
    client = Client()
    client.force_login(banned)
    assert client.get(reverse("meetings:round", args=[round_4b.pk])).status_code == 404
    response = client.post(reverse("meetings:book", args=[round_4b.pk]),
                           {"slot": first_free(round_4b, teacher).pk,
                            "pupil": child_of(parent).pk})
    assert response.status_code == 404
    assert not Booking.objects.exists()


def test_after_the_deadline_a_family_can_neither_change_nor_cancel(
        round_4b: MeetingRound, teacher: User, parent: User) -> None:
    first, second = list(free_slots(round_4b).filter(teacher=teacher)[:2])
    booking = bookings.book(parent, round_4b, first, child_of(parent))
    MeetingRound.objects.filter(pk=round_4b.pk).update(
        change_deadline=timezone.now() - timedelta(minutes=1))
    round_4b.refresh_from_db()
    with pytest.raises(ValidationError, match="Changes are no longer possible"):
        bookings.book(parent, round_4b, second, child_of(parent))
    client = Client()
    client.force_login(parent)
    response = client.post(reverse("meetings:cancel", args=[booking.pk]),
                           HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 400
    assert "Changes are no longer possible" in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).cancelled_at is None


def test_booking_waits_for_the_window_and_a_slot_of_another_round_is_refused(
        round_4b: MeetingRound, teacher: User, parent: User, class_4b: SchoolClass) -> None:
    other = publish_round(teacher, plan_for([class_4b], title="Another"))
    with pytest.raises(ValidationError, match="not part of this parents' evening"):
        bookings.book(parent, round_4b, first_free(other, teacher), child_of(parent))
    MeetingRound.objects.filter(pk=round_4b.pk).update(
        opens_at=timezone.now() + timedelta(hours=3))
    round_4b.refresh_from_db()
    with pytest.raises(ValidationError, match="Booking opens"):
        bookings.book(parent, round_4b, first_free(round_4b, teacher), child_of(parent))
    MeetingRound.objects.filter(pk=round_4b.pk).update(
        opens_at=timezone.now() - timedelta(days=2), closes_at=timezone.now() - timedelta(days=1))
    round_4b.refresh_from_db()
    with pytest.raises(ValidationError, match="Booking closed"):
        bookings.book(parent, round_4b, first_free(round_4b, teacher), child_of(parent))


def test_a_full_round_says_so(round_4b: MeetingRound, teacher: User, parent: User,
                              parent2: User) -> None:
    free = list(free_slots(round_4b).filter(teacher=teacher))
    for slot in free[1:]:
        slots.block(teacher, slot)
    bookings.book(parent, round_4b, free[0], child_of(parent))
    with pytest.raises(SlotTaken, match="every other time with Ms de Vries is taken"):
        bookings.book(parent2, round_4b, free[0], child_of(parent2))
    client = Client()
    client.force_login(parent2)
    page = client.get(reverse("meetings:round", args=[round_4b.pk])).content.decode()
    assert "Every time with Ms de Vries is taken." in page


def test_siblings_are_offered_back_to_back_times_allowing_for_a_change_of_room(
        round_both: MeetingRound, siblings: User, teacher: User, teacher_5a: User) -> None:
    open_needs = needs(siblings, round_both)
    assert {(n.pupil.first_name, n.teacher.pk) for n in open_needs} == {
        ("Lotte", teacher.pk), ("Bram", teacher_5a.pk)}
    plans = sibling_plans(open_needs, list(free_slots(round_both)))
    assert plans
    (need_a, a), (need_b, b) = plans[0]
    # Room 4B then room 5A: one slot's length to walk between them.
    assert b.starts_at - a.ends_at == a.ends_at - a.starts_at
    made = bookings.book_together(siblings, round_both, [(a, need_a.pupil), (b, need_b.pupil)])
    assert len(made) == 2
    assert {bk.teacher_id for bk in made} == {teacher.pk, teacher_5a.pk}


def test_siblings_may_book_a_day_early_when_the_round_says_so(
        round_both: MeetingRound, siblings: User, parent: User, teacher: User) -> None:
    MeetingRound.objects.filter(pk=round_both.pk).update(
        opens_at=timezone.now() + timedelta(hours=12), siblings_early=True)
    round_both.refresh_from_db()
    with pytest.raises(ValidationError, match="Booking opens"):
        bookings.book(parent, round_both, first_free(round_both, teacher), child_of(parent))
    lotte = Pupil.objects.get(first_name="Lotte")
    assert bookings.book(siblings, round_both, first_free(round_both, teacher), lotte)


def test_a_teacher_blocks_a_time_and_moves_a_booking_and_the_family_is_told_by_e_mail(
        round_4b: MeetingRound, teacher: User, parent: User,
        django_capture_on_commit_callbacks: object) -> None:
    first, second, third = list(free_slots(round_4b).filter(teacher=teacher)[:3])
    slots.block(teacher, third)
    with pytest.raises(SlotTaken):
        bookings.book(parent, round_4b, third, child_of(parent))
    booking = bookings.book(parent, round_4b, first, child_of(parent))
    with pytest.raises(ValidationError, match="This time is booked"):
        slots.block(teacher, first)
    client = Client()
    client.force_login(teacher)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = client.post(reverse("meetings:move", args=[booking.pk]), {"to": second.pk})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.slot == second
    assert Record.objects.filter(kind="meetings.moved").count() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["anna@example.invalid"]
    assert "moved" in mail.outbox[0].subject


def test_the_schedule_prints_and_names_the_booked_children(
        round_4b: MeetingRound, teacher: User, parent: User) -> None:
    bookings.book(parent, round_4b, first_free(round_4b, teacher), child_of(parent))
    client = Client()
    client.force_login(teacher)
    page = client.get(reverse("meetings:schedule", args=[round_4b.pk])).content.decode()
    assert "Emma" in page and "Free" in page and 'id="print"' in page


def test_the_archive_verifies_after_the_flow(round_4b: MeetingRound, teacher: User,
                                             parent: User, parent2: User) -> None:
    first, second = list(free_slots(round_4b).filter(teacher=teacher)[:2])
    booking = bookings.book(parent, round_4b, first, child_of(parent))
    with pytest.raises(SlotTaken):
        bookings.book(parent2, round_4b, first, child_of(parent2))
    slots.move(teacher, booking, second)
    bookings.cancel(parent, booking)
    kinds = list(Record.objects.filter(scope__startswith="meetings:").order_by("position")
                 .values_list("kind", flat=True))
    assert kinds == ["meetings.round_published", "meetings.booked", "meetings.moved",
                     "meetings.cancelled"]
    assert chain.verify().intact


def test_reminders_go_once_the_day_before(round_4b: MeetingRound, teacher: User,
                                          parent: User) -> None:
    slot = first_free(round_4b, teacher)
    bookings.book(parent, round_4b, slot, child_of(parent))
    the_day_before = slot.starts_at - timedelta(days=1)
    assert reminders.remind_tomorrow(round_4b.school, the_day_before - timedelta(days=1)) == 0
    # Not in the night: the first hourly run from 09:00 sends them.
    night = the_day_before.astimezone(ZoneInfo(round_4b.school.time_zone)).replace(hour=3)
    assert reminders.remind_tomorrow(round_4b.school, night) == 0
    assert reminders.remind_tomorrow(round_4b.school, the_day_before) == 1
    assert reminders.remind_tomorrow(round_4b.school, the_day_before) == 0
    assert Booking.objects.get().reminded_at is not None


def test_a_reminder_is_an_e_mail_in_the_guardians_language_when_they_have_no_device(
        round_4b: MeetingRound, teacher: User, parent: User,
        django_capture_on_commit_callbacks: object) -> None:
    User.objects.filter(pk=parent.pk).update(language="nl")
    slot = first_free(round_4b, teacher)
    bookings.book(parent, round_4b, slot, child_of(parent))
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        reminders.remind_tomorrow(round_4b.school, slot.starts_at - timedelta(days=1))
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["anna@example.invalid"]
    assert "Ms de Vries" in mail.outbox[0].body
    assert "morgen" in mail.outbox[0].subject


def test_in_a_round_per_guardian_each_guardian_books_and_sees_their_own(
        teacher: User, parent: User, class_4b: SchoolClass) -> None:
    round_ = publish_round(teacher, plan_for([class_4b], per=MeetingRound.Per.GUARDIAN))
    other = User.objects.create(username="father", role="parent", school=parent.school)
    Guardianship.objects.create(guardian=other, pupil=child_of(parent))
    first, second = list(free_slots(round_).filter(teacher=teacher)[:2])
    mine = bookings.book(parent, round_, first, child_of(parent))
    theirs = bookings.book(other, round_, second, child_of(parent))
    assert Booking.objects.filter(cancelled_at__isnull=True).count() == 2
    client = Client()
    client.force_login(other)
    assert client.get(reverse("meetings:booking_ics", args=[mine.pk])).status_code == 404
    assert client.get(reverse("meetings:booking_ics", args=[theirs.pk])).status_code == 200
    assert client.post(reverse("meetings:cancel", args=[mine.pk])).status_code == 404
    assert Booking.objects.get(pk=mine.pk).cancelled_at is None


def test_a_guardian_with_a_device_is_told_by_push_not_by_e_mail(
        round_4b: MeetingRound, teacher: User, parent: User,
        monkeypatch: pytest.MonkeyPatch) -> None:
    Device.objects.create(user=parent, endpoint="https://push.example/anna", p256dh="k",
                          auth="a")
    sent: list[bytes] = []

    def accept(device: Device, payload: bytes, **options: object) -> push.Answer:
        sent.append(payload)
        return push.Answer(201)

    monkeypatch.setattr(push, "send", accept)
    booking = bookings.book(parent, round_4b, first_free(round_4b, teacher), child_of(parent))
    assert tasks.tell([booking.pk], "reminder") == 1
    assert len(sent) == 1 and b"Ms de Vries" in sent[0] and b"Emma" not in sent[0]
    assert mail.outbox == []
