"""What the activities leave behind and hand out: reminders (once a day, push else e-mail, in
each guardian's language), the .ics, a person's activities between two dates, the archive that
still verifies, both subject access exports, retention, the live hints and the demo school."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar

from accounts.models import Pupil, User
from activities import calendar, hints, roll, tasks
from activities.actions import replies, slips
from activities.actions.reminders import remind
from activities.consumers import ListConsumer
from activities.models import Activity, ActivityReminder, Rsvp
from activities.retention import ActivityPurger
from archive import chain
from archive.models import Category, Record
from archive.retention import apply_retention
from notifications.models import Device
from records.export import collect, collect_pupil


@pytest.mark.django_db
def test_a_reminder_goes_once_a_day_by_push_else_by_mail_in_each_language(
        trip: Activity, parent: User, emma: Pupil, teacher: User, monkeypatch: pytest.MonkeyPatch,
        django_capture_on_commit_callbacks: Any, parent_5a: User) -> None:
    pushed: list[tuple[int, list[int]]] = []
    monkeypatch.setattr(tasks.push_reminder, "delay", lambda a, u: pushed.append((a, u)))
    User.objects.filter(pk=parent.pk).update(language="nl")
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        reminder = remind(teacher, trip, link="https://school.example/activities/1/")
    assert reminder.recipients == 1
    [sent] = mail.outbox
    assert sent.to == ["anna@example.invalid"] and "Herinnering" in sent.subject
    assert not pushed
    with pytest.raises(ValidationError, match="already sent today"):
        remind(teacher, trip, link="x")
    # The next day: Anna has a device now, so a push instead of an e-mail.
    ActivityReminder.objects.all().delete()
    Device.objects.create(user=parent, endpoint="https://push.example/a", p256dh="k", auth="s")
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        remind(teacher, trip, link="x")
    assert pushed == [(trip.pk, [parent.pk])] and not mail.outbox
    parent.refresh_from_db()
    with translation.override(parent.preferred_language):
        assert tasks.payload(trip)["title"].startswith("Herinnering")


@pytest.mark.django_db
def test_nobody_is_reminded_once_everyone_answered(trip: Activity, parent: User, emma: Pupil,
                                                   teacher: User) -> None:
    replies.reply(parent, trip, emma, Rsvp.Answer.COMING)
    slips.sign(parent, trip, emma)
    with pytest.raises(ValidationError, match="nobody needs a reminder"):
        remind(teacher, trip, link="x")


@pytest.mark.django_db
def test_the_ics_parses_and_says_only_what_the_card_says(
        client: Client, trip: Activity, parent: User, emma: Pupil, parent_5a: User) -> None:
    replies.reply(parent, trip, emma, Rsvp.Answer.COMING, "Allergic to nuts")
    client.force_login(parent)
    response = client.get(reverse("activities:ics", args=[trip.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    parsed = Calendar.from_ical(response.content)
    [event] = parsed.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Trip to the zoo" and str(event["LOCATION"]) == "Artis"
    assert event.decoded("DTSTART") == trip.starts_at.replace(microsecond=0)
    assert event.decoded("DTEND") == trip.ends_at.replace(microsecond=0)
    assert "nuts" not in response.content.decode()
    client.force_login(parent_5a)
    assert client.get(reverse("activities:ics", args=[trip.pk])).status_code == 404


@pytest.mark.django_db
def test_a_persons_activities_between_two_dates(trip: Activity, parent: User, emma: Pupil,
                                                parent_5a: User, teacher: User) -> None:
    today = timezone.localdate()
    [entry] = calendar.between(parent, today, today + timedelta(days=10))
    assert entry.activity == trip and entry.children == [emma]
    assert calendar.between(parent, today, today + timedelta(days=3)) == []
    assert calendar.between(parent_5a, today, today + timedelta(days=10)) == []
    [staff_entry] = calendar.between(teacher, today, today + timedelta(days=10))
    assert staff_entry.children == []


@pytest.mark.django_db
def test_the_archive_verifies_and_both_exports_hold_replies_and_signatures(
        trip: Activity, parent: User, emma: Pupil) -> None:
    replies.reply(parent, trip, emma, Rsvp.Answer.COMING, "Allergic to nuts")
    slips.sign(parent, trip, emma)
    slips.withdraw(parent, trip, emma)
    assert chain.verify().intact
    pupil_export = collect_pupil(emma, None)
    about = [row["text"] for row in pupil_export["about_the_pupil"]
             if row["section"] == "activities"]
    assert about == ["Reply to “Trip to the zoo”: coming (Allergic to nuts)",
                     "Permission slip for “Trip to the zoo” signed",
                     "Permission slip for “Trip to the zoo” withdrawn"]
    slip_records = [c["decision"] for c in pupil_export["consent_records"]
                    if c["purpose"] == f"activity-{trip.pk}"]
    assert slip_records == ["granted", "withdrawn"]
    guardian_export = collect(user=parent)
    said = [e["description"] for e in guardian_export["events"]
            if e["kind"].startswith("activity.")]
    assert any("Replied for Emma" in s and "coming" in s for s in said)
    assert any("Signed the permission slip" in s for s in said)
    assert any("Withdrew the permission" in s for s in said)
    assert [c["decision"] for c in guardian_export["consent_records"]] == ["granted", "withdrawn"]


@pytest.mark.django_db
def test_retention_purges_an_old_activity_and_keeps_the_records(trip: Activity, parent: User,
                                                                emma: Pupil) -> None:
    replies.reply(parent, trip, emma, Rsvp.Answer.COMING)
    slips.sign(parent, trip, emma)
    later = trip.ends_at + timedelta(days=731)
    assert ActivityPurger().expired(trip.school, later - timedelta(days=730), None,
                                    later).free.count() == 1
    outcomes = [o for o in apply_retention(later, only=[trip.school])
                if o.category == Category.ACTIVITIES]
    assert outcomes[0].messages == 1
    assert not Activity.objects.exists() and not Rsvp.objects.exists()
    assert Record.objects.filter(kind="activity.replied").exists()
    assert chain.verify().intact


@pytest.mark.django_db(transaction=True)
async def test_the_staff_list_socket_hears_of_changes_and_others_do_not(
        trip: Activity, parent: User, emma: Pupil, teacher: User, parent_5a: User) -> None:
    async def open_socket(user: User) -> WebsocketCommunicator:
        socket = WebsocketCommunicator(ListConsumer.as_asgi(), "/ws/activities/")
        socket.scope["user"] = user
        connected, _ = await socket.connect()
        assert connected and (await socket.receive_json_from()) == {"type": "hello"}
        return socket

    staff, family, outsider = (await open_socket(teacher), await open_socket(parent),
                               await open_socket(parent_5a))

    def answer() -> None:
        with transaction.atomic():
            replies.reply(parent, trip, emma, Rsvp.Answer.COMING)

    await database_sync_to_async(answer)()
    assert await staff.receive_json_from(timeout=5) == {"type": "activity", "id": trip.pk}
    assert await family.receive_nothing(timeout=0.3)
    assert await outsider.receive_nothing(timeout=0.3)
    for socket in (staff, family, outsider):
        await socket.disconnect()
    assert [u.pk for u in await database_sync_to_async(hints.managers)(trip)] == [teacher.pk]


@pytest.mark.django_db
def test_the_demo_school_holds_a_trip_with_a_slip_and_an_event_with_replies() -> None:
    call_command("seed_demo", force=True, stdout=io.StringIO())
    zoo = Activity.objects.get(title="Trip to the zoo")
    breakfast = Activity.objects.get(title="Class breakfast")
    view = roll.overview(zoo)
    signed = {r.pupil.first_name for r in view.rows if r.slip is not None and r.slip.counts}
    assert signed == {"Emma"} and view.total >= 2
    assert roll.overview(breakfast).coming == 1 and roll.overview(breakfast).maybe == 1
    assert chain.verify().intact
