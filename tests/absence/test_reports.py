"""A family reports, the school sees (each as much as they may), acknowledges, marks a pupil
absent, not reported, and exports; bad input gets a sentence; the archive verifies."""

from __future__ import annotations

import csv
import io
from datetime import time, timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from absence import actions, asking, export
from absence.access import watchers
from absence.models import AbsenceReport
from accounts.models import Guardianship, User
from archive import chain
from archive.models import Record
from notifications import push
from notifications.models import Device

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def report_form(world: dict[str, Any], *children: Any, **changes: Any) -> dict[str, Any]:
    today = actions.school_today(world["school"])
    data: dict[str, Any] = {"children": [c.pk for c in children], "starts_on": today,
                            "ends_on": today, "category": "ill", "note": "Fever since last night"}
    data.update(changes)
    return data


def day_page(user: User) -> str:
    response = client_for(user).get(reverse("absence:items"))
    assert response.status_code == 200
    return response.content.decode()


def test_a_parent_reports_two_children_and_each_reader_sees_what_they_may(
        world: dict[str, Any]) -> None:
    parent = client_for(world["parent"])
    page = parent.get(reverse("absence:report"))
    assert page.status_code == 200 and "Noah" in page.content.decode()
    response = parent.post(reverse("absence:report"),
                           report_form(world, world["emma"], world["noah"]))
    assert response.status_code == 302
    assert AbsenceReport.objects.filter(reported_by=world["parent"]).count() == 2
    followed = parent.get(reverse("absence:home")).content.decode()
    assert "Thank you. The school knows that Emma, Noah are absent." in followed

    class_teacher = day_page(world["teacher"])
    assert "Emma" in class_teacher and "Fever since last night" in class_teacher
    assert "Acknowledge Emma" in class_teacher
    office = day_page(world["office"])
    assert "Fever since last night" in office and "Ill" in office
    subject = day_page(world["subject_teacher"])
    assert "Emma" in subject and "Absent" in subject
    assert "Fever" not in subject and "Ill" not in subject and "Acknowledge" not in subject
    # The other class's parent: no page, no list, nothing.
    assert client_for(world["parent_5a"]).get(reverse("absence:items")).status_code == 404


def test_acknowledging_marks_the_report_seen_once(world: dict[str, Any]) -> None:
    [report] = actions.report_absence(world["parent"], [world["emma"]], actions.Absence(
        starts_on=actions.school_today(world["school"]),
        ends_on=actions.school_today(world["school"]), category="family"))
    url = reverse("absence:acknowledge", args=[report.pk])
    assert client_for(world["subject_teacher"]).post(url).status_code == 404
    assert client_for(world["parent_5a"]).post(url).status_code == 404
    assert client_for(world["teacher"]).post(url).status_code == 302
    again = client_for(world["office"]).post(url, follow=True)
    assert "This absence was already acknowledged." in again.content.decode()
    report.refresh_from_db()
    assert report.acknowledged_by == world["teacher"]
    assert "Seen by the school" in client_for(world["parent"]).get(
        reverse("absence:home")).content.decode()


@pytest.mark.parametrize(("changes", "sentence"), [
    ({"ends_on": "yesterday"}, "The absence cannot end before it starts."),
    ({"starts_on": "yesterday", "ends_on": "yesterday"},
     "The absence cannot start on a day that has passed."),
    ({"from_time": "10:00"}, "For part of a day, give the time it starts and the time it ends."),
    ({"from_time": "10:00", "until_time": "09:00"},
     "The time it ends must be after the time it starts."),
    ({"from_time": "09:00", "until_time": "10:00", "ends_on": "tomorrow"},
     "Part of a day is one day: give the same day under from and until."),
    ({"category": ""}, "Choose a reason."),
    ({"children": []}, "Choose at least one child."),
    ({"children": "mateo"}, "You can only report your own children absent."),
])
def test_bad_input_gets_a_sentence_and_changes_nothing(
        world: dict[str, Any], changes: dict[str, Any], sentence: str) -> None:
    today = actions.school_today(world["school"])
    days = {"yesterday": today - timedelta(days=1), "tomorrow": today + timedelta(days=1)}
    data = report_form(world, world["emma"])
    for key, value in changes.items():
        data[key] = days.get(value, value) if isinstance(value, str) else value
    if data["children"] == "mateo":
        data["children"] = [world["mateo"].pk]
    response = client_for(world["parent"]).post(reverse("absence:report"), data)
    assert response.status_code == 400
    assert sentence in response.content.decode()
    assert not AbsenceReport.objects.exists()


def test_a_no_contact_guardian_cannot_report(world: dict[str, Any]) -> None:
    Guardianship.objects.filter(guardian=world["parent"]).update(no_contact=True)
    parent = client_for(world["parent"])
    assert parent.get(reverse("absence:report")).status_code == 404
    assert "Report an absence" not in parent.get("/").content.decode()
    with pytest.raises(PermissionDenied):
        actions.report_absence(world["parent"], [world["emma"]], actions.Absence(
            starts_on=actions.school_today(world["school"]),
            ends_on=actions.school_today(world["school"]), category="ill"))


def test_the_home_screen_has_the_entry_for_parents_only(world: dict[str, Any]) -> None:
    assert "Report an absence" in client_for(world["parent"]).get("/").content.decode()
    assert "Report an absence" not in client_for(world["teacher"]).get("/").content.decode()


def test_a_report_after_the_cutoff_is_late_and_one_for_a_later_day_is_not(
        world: dict[str, Any]) -> None:
    school = world["school"]
    actions.change_settings(world["admin"], school, cutoff=time(0, 0),
                            class_teachers={world["class_4b"]: world["teacher"]})
    today = actions.school_today(school)
    [late] = actions.report_absence(world["parent"], [world["emma"]], actions.Absence(
        starts_on=today, ends_on=today, category="other"))
    [early] = actions.report_absence(world["parent"], [world["noah"]], actions.Absence(
        starts_on=today + timedelta(days=1), ends_on=today + timedelta(days=2),
        category="other"))
    assert late.late and not early.late
    assert "Late" in day_page(world["teacher"])


def test_absent_not_reported_asks_each_guardian_push_else_email_in_their_language(
        world: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    emma = world["emma"]
    second = User.objects.create(username="mark", display_name="Mark", role="parent",
                                 school=world["school"], email="mark@example.invalid",
                                 language="nl")
    Guardianship.objects.create(guardian=second, pupil=emma, relationship="parent")
    Device.objects.create(user=world["parent"], endpoint="https://push.example/anna",
                          p256dh="key", auth="secret")
    sent: list[dict[str, Any]] = []

    def accept(device: Device, data: bytes, **kwargs: Any) -> push.Answer:
        sent.append({"device": device.pk, "data": data, **kwargs})
        return push.Answer(201)

    mail.outbox = []
    with mock.patch.object(push, "send", accept), \
            django_capture_on_commit_callbacks(execute=True):
        response = client_for(world["teacher"]).post(
            reverse("absence:mark_missing", args=[emma.pk]))
    assert response.status_code == 302
    # Anna has a device: pushed, urgent, not mailed. Mark has none: mailed, in Dutch.
    [pushed] = sent
    assert pushed["urgency"] == "high" and b"Is Emma with you?" in pushed["data"]
    [letter] = mail.outbox
    assert letter.to == ["mark@example.invalid"]
    assert letter.subject == "Is Emma bij u?"
    # The office sees the open one; the family is asked on the home screen and answers.
    assert "Absent, not reported" in day_page(world["office"])
    home = client_for(world["parent"]).get("/").content.decode()
    assert "The school asks about 1 child" in home
    answer = client_for(world["parent"]).post(reverse("absence:report"),
                                              report_form(world, emma, category="medical"))
    assert answer.status_code == 302
    [report] = AbsenceReport.objects.filter(pupil=emma)
    assert report.marked_by == world["teacher"] and report.reported_by == world["parent"]
    assert not report.is_open
    assert Record.objects.filter(kind="absence.answered").count() == 1
    # Marked again the same day: a sentence, nothing new.
    again = client_for(world["teacher"]).post(reverse("absence:mark_missing", args=[emma.pk]),
                                              follow=True)
    assert "Emma is already reported absent today." in again.content.decode()
    assert asking.ask_guardians(report.pk) == {"pushed": 0, "mailed": 0}  # answered: nobody


def test_only_those_who_may_see_are_told_live(world: dict[str, Any]) -> None:
    [report] = actions.report_absence(world["parent"], [world["emma"]], actions.Absence(
        starts_on=actions.school_today(world["school"]),
        ends_on=actions.school_today(world["school"]), category="ill"))
    assert set(watchers(report)) == {world["teacher"].pk, world["subject_teacher"].pk,
                                     world["office"].pk}


def test_the_csv_parses_and_holds_one_row_per_pupil_per_day(world: dict[str, Any]) -> None:
    today = actions.school_today(world["school"])
    actions.report_absence(world["parent"], [world["emma"]], actions.Absence(
        starts_on=today, ends_on=today + timedelta(days=2), category="ill",
        note='Fever, "high"'))
    actions.report_absence(world["parent"], [world["noah"]], actions.Absence(
        starts_on=today, ends_on=today, category="medical", from_time=time(9),
        until_time=time(10, 30)))
    office = client_for(world["office"])
    response = office.get(reverse("absence:export"),
                          {"first": str(today), "last": str(today + timedelta(days=1))})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == export.COLUMNS
    # By day, then class and name; Emma's last name is the factory's.
    assert [r["date"] for r in rows] == [today.isoformat()] * 2 + [
        (today + timedelta(days=1)).isoformat()]
    assert sorted((r["date"], r["first_name"]) for r in rows) == [
        (today.isoformat(), "Emma"), (today.isoformat(), "Noah"),
        ((today + timedelta(days=1)).isoformat(), "Emma")]
    emma = next(r for r in rows if r["first_name"] == "Emma")
    noah = next(r for r in rows if r["first_name"] == "Noah")
    assert emma["reason"] == "ill" and emma["note"] == 'Fever, "high"'
    assert noah["from_time"] == "09:00" and noah["until_time"] == "10:30"
    assert emma["class"] == "4B" and emma["status"] == "reported" and emma["late"] in {"yes", "no"}
    wrong = office.get(reverse("absence:export"), {"first": str(today), "last": str(today - timedelta(1))})
    assert wrong.status_code == 400
    assert "The absence cannot end before it starts." in wrong.content.decode()
    for persona in ("teacher", "parent", "parent_5a", "admin", "dpo"):
        assert client_for(world[persona]).get(reverse("absence:export")).status_code == 404


def test_the_archive_verifies_after_the_flow(world: dict[str, Any]) -> None:
    today = actions.school_today(world["school"])
    [report] = actions.report_absence(world["parent"], [world["emma"]], actions.Absence(
        starts_on=today, ends_on=today, category="ill", note="Fever"))
    actions.acknowledge(world["office"], report)
    actions.mark_missing(world["teacher"], world["noah"])
    kinds = list(Record.objects.filter(scope=f"absence:{world['school'].pk}")
                 .order_by("position").values_list("kind", flat=True))
    assert kinds == ["absence.settings_changed", "absence.reported", "absence.acknowledged",
                     "absence.marked_missing"]
    reported = Record.objects.get(kind="absence.reported")
    # No note and no health category in what outlives the report.
    assert reported.payload.content["category"] == "health"
    assert "Fever" not in str(reported.payload.content)
    assert chain.verify().intact
