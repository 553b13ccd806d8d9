"""Each person's calendar: the school's holidays the admin enters, what the apps register for
the person and nobody else, and a secret feed address that calendar apps read and that a
renewal ends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from absence.actions import Absence, report_absence
from accounts.actions.leavers import process_leaver
from accounts.models import Pupil, School, User
from agenda import sources
from agenda.models import Holiday
from archive import chain
from archive.models import Record

pytestmark = pytest.mark.django_db


def _feed_path(page: str) -> str:
    start = page.index("/calendar/feed/")
    return page[start:page.index(".ics", start) + 4]


@pytest.fixture
def christmas(client: Client, admin: User) -> Holiday:
    client.force_login(admin)
    first = timezone.localdate() + timedelta(days=10)
    response = client.post(reverse("agenda:holidays"), {
        "name": "Christmas holiday", "starts_on": first.isoformat(),
        "ends_on": (first + timedelta(days=13)).isoformat()})
    assert response.status_code == 302
    return Holiday.objects.get()


def test_the_admin_enters_a_holiday_and_it_is_on_everyones_calendar(
        client: Client, christmas: Holiday, parent: User, teacher: User) -> None:
    assert Record.objects.filter(kind="agenda.holiday_added").count() == 1
    for person in (parent, teacher):
        client.force_login(person)
        page = client.get(reverse("agenda:calendar")).content.decode()
        assert "Christmas holiday" in page and "School holiday" in page
        assert f"until {christmas.ends_on.day} " in page


def test_bad_holidays_get_a_sentence_and_nothing_is_saved(client: Client, admin: User) -> None:
    client.force_login(admin)
    response = client.post(reverse("agenda:holidays"), {
        "name": "Backwards", "starts_on": "2027-01-10", "ends_on": "2027-01-02"})
    assert response.status_code == 400
    assert "The last day is before the first day." in response.content.decode()
    assert 'value="Backwards"' in response.content.decode()
    assert not Holiday.objects.exists()


def test_only_the_schools_admin_enters_or_removes_holidays(
        client: Client, christmas: Holiday, teacher: User, parent: User, dpo: User) -> None:
    for person in (teacher, parent, dpo):
        client.force_login(person)
        assert client.get(reverse("agenda:holidays")).status_code == 404
        assert client.post(reverse("agenda:remove_holiday", args=[christmas.pk])).status_code == 404
    assert Holiday.objects.exists()


def test_a_feed_address_is_shown_once_read_by_calendar_apps_and_ended_by_a_new_one(
        client: Client, christmas: Holiday, parent: User) -> None:
    client.force_login(parent)
    made = client.post(reverse("agenda:renew")).content.decode()
    first = _feed_path(made)
    anonymous = Client()
    feed = anonymous.get(first)
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(feed.content)
    events = list(calendar.walk("VEVENT"))
    assert [str(e["SUMMARY"]) for e in events] == ["Christmas holiday"]
    assert events[0].decoded("DTSTART") == christmas.starts_on
    assert events[0].decoded("DTEND") == christmas.ends_on + timedelta(days=1)
    page = client.get(reverse("agenda:calendar")).content.decode()
    assert first not in page  # shown once, never again
    assert "Last read by a calendar app on" in page
    second = _feed_path(client.post(reverse("agenda:renew")).content.decode())
    assert anonymous.get(first).status_code == 404
    assert anonymous.get(second).status_code == 200
    assert [r.kind for r in Record.objects.filter(kind__startswith="agenda.feed")] == [
        "agenda.feed_made", "agenda.feed_renewed"]
    assert anonymous.get("/calendar/feed/not-a-real-address.ics").status_code == 404


def test_a_leavers_address_stops_working(client: Client, parent: User, admin: User) -> None:
    client.force_login(parent)
    address = _feed_path(client.post(reverse("agenda:renew")).content.decode())
    process_leaver(parent, actor=admin)
    assert Client().get(address).status_code == 404


@pytest.fixture
def per_person() -> Iterator[None]:
    """A source as the apps register them: something for each person only."""
    def mine(user: User, first: date, last: date) -> list[sources.Item]:
        return [sources.Item(uid=f"test-{user.pk}", title=f"Only for {user.public_name}",
                             starts=first + timedelta(days=1))]

    sources.register_source("test", mine)
    yield
    sources._sources.pop("test", None)


def test_the_feed_holds_what_the_sources_give_the_person_and_no_one_else(
        client: Client, per_person: None, parent: User, parent_5a: User) -> None:
    client.force_login(parent)
    address = _feed_path(client.post(reverse("agenda:renew")).content.decode())
    text = Client().get(address).content.decode()
    assert "Only for Anna Jansen" in text and "Lucía" not in text
    assert "Only for Anna Jansen" in client.get(reverse("agenda:calendar")).content.decode()


def test_the_archive_verifies_after_the_calendar_flows(
        client: Client, christmas: Holiday, admin: User, school: School) -> None:
    client.force_login(admin)
    assert client.post(reverse("agenda:remove_holiday", args=[christmas.pk])).status_code == 302
    assert not Holiday.objects.exists()
    assert Record.objects.filter(kind="agenda.holiday_removed").exists()
    assert chain.verify().intact


def test_a_familys_calendar_shows_their_childs_absence_and_never_its_reason(
        client: Client, parent: User, parent_5a: User) -> None:
    emma = Pupil.objects.get(guardianships__guardian=parent)
    today = timezone.localdate()
    report_absence(parent, [emma], Absence(starts_on=today, ends_on=today + timedelta(days=1),
                                          category="ill", note="Fever"))
    client.force_login(parent)
    address = _feed_path(client.post(reverse("agenda:renew")).content.decode())
    feed = Client().get(address).content.decode()
    assert "Emma" in feed and "absent" in feed
    assert "Ill" not in feed and "Fever" not in feed and "health" not in feed.lower()
    client.force_login(parent_5a)
    assert "Emma" not in client.get(reverse("agenda:calendar")).content.decode()


def test_the_apps_of_the_week_put_their_things_on_the_calendar() -> None:
    assert {"holidays", "absences", "activities", "meetings"} <= set(sources._sources)
