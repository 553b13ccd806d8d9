"""Absences and parents' evenings through the API: what the token's staff member sees on the
pages, no more (a subject teacher never learns why, a health reason included), and a OneRoster
zip imported the way the roster page does it, its leavers confirmed."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest

from absence import actions as absence_actions
from absence.actions import Absence, school_today
from absence.models import DEFAULT_CUTOFF, Reason
from accounts.models import Pupil, Role, RosterImport, School, SchoolClass, User
from accounts.oneroster_import import import_oneroster
from meetings.actions.bookings import book, cancel
from meetings.actions.rounds import publish_round
from meetings.models import Booking, MeetingRound
from tests.accounts import oneroster_files as files
from tests.api.conftest import call, make_token
from tests.factories import UserFactory
from tests.meetings.conftest import plan_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(school: School) -> User:
    return UserFactory(username="office", display_name="Mr Bos", role=Role.STAFF, school=school)


@pytest.fixture
def subject_teacher(school: School, class_4b: SchoolClass) -> User:
    user = UserFactory(username="maas", display_name="Mr Maas", role=Role.TEACHER, school=school)
    class_4b.staff.add(user)
    return user


@pytest.fixture
def absences(school: School, class_4b: SchoolClass, class_5a: SchoolClass, teacher: User,
             admin: User, parent: User, parent_5a: User) -> dict[str, Any]:
    """Emma (4B) ill today, Mateo (5A) away for family reasons today and tomorrow."""
    absence_actions.change_settings(admin, school, cutoff=DEFAULT_CUTOFF,
                                    class_teachers={class_4b: teacher})
    today = school_today(school)
    emma = Pupil.objects.get(first_name="Emma")
    mateo = Pupil.objects.get(first_name="Mateo")
    absence_actions.report_absence(parent, [emma], Absence(today, today, Reason.ILL,
                                                           note="Fever"))
    absence_actions.report_absence(parent_5a, [mateo], Absence(
        today, today + timedelta(days=1), Reason.FAMILY, note="Wedding"))
    return {"today": today, "emma": emma, "mateo": mateo}


def _seen(token: str, query: str = "") -> list[tuple[str, str | None, str]]:
    response = call("get", f"/api/absences{query}", token)
    assert response.status_code == 200, response.content
    return [(a["pupil"]["name"].split()[0], a["reason"], a["note"])
            for a in response.json()["items"]]


def test_the_office_sees_the_whole_school_and_why(school: School, office: User,
                                                  absences: dict[str, Any]) -> None:
    token = make_token(school, office, ["absences:read"])
    today = absences["today"]
    assert sorted(_seen(token, f"?date={today}")) == [("Emma", "ill", "Fever"),
                                                      ("Mateo", "family", "Wedding")]
    assert sorted(_seen(token)) == sorted(_seen(token, f"?date={today}"))  # today by default
    tomorrow = today + timedelta(days=1)
    assert _seen(token, f"?date={tomorrow}") == [("Mateo", "family", "Wedding")]
    assert len(_seen(token, f"?from={today - timedelta(days=3)}&until={tomorrow}")) == 2
    assert _seen(token, f"?date={today + timedelta(days=2)}") == []



def test_an_admin_who_teaches_no_class_sees_no_absences_as_on_the_pages(
        school: School, admin: User, absences: dict[str, Any]) -> None:
    assert _seen(make_token(school, admin, ["all"])) == []


def test_the_class_teacher_sees_their_class_and_why_a_subject_teacher_only_who(
        school: School, teacher: User, subject_teacher: User,
        absences: dict[str, Any]) -> None:
    assert _seen(make_token(school, teacher, ["absences:read"])) == [("Emma", "ill", "Fever")]
    # A health reason, or any reason, never reaches a teacher who may not know why.
    body = call("get", "/api/absences", make_token(school, subject_teacher, ["all"])).json()
    assert [(a["pupil"]["name"].split()[0], a["reason"], a["note"], a["reported"])
            for a in body["items"]] == [("Emma", None, "", True)]
    assert "ill" not in str(body) and "Fever" not in str(body)


@pytest.mark.parametrize("query, problem", [
    ("?from=2026-12-10&until=2026-12-01", "comes before the from date"),
    ("?from=2026-01-01&until=2026-12-31", "at most 92 days"),
    ("?date=2026-12-01&from=2026-12-01", "not both"),
    ("?date=yesterday", "YYYY-MM-DD"),
    ("?until=0", "YYYY-MM-DD"),
])
def test_a_bad_day_is_refused_with_its_reason(school: School, office: User, query: str,
                                              problem: str) -> None:
    response = call("get", f"/api/absences{query}", make_token(school, office,
                                                               ["absences:read"]))
    assert response.status_code == 422
    assert problem in str(response.json())


@pytest.fixture
def evening(school: School, admin: User, teacher: User, class_4b: SchoolClass,
            class_5a: SchoolClass, parent: User, parent_5a: User) -> MeetingRound:
    """The office's evening for 4B and 5A: Emma booked with Ms de Vries, Mateo with Mr Ivanov."""
    teacher_5a = UserFactory(username="teacher5a", display_name="Mr Ivanov", role=Role.TEACHER,
                             school=school)
    class_5a.staff.add(teacher_5a)
    round_ = publish_round(admin, plan_for([class_4b, class_5a], rooms={
        teacher.pk: "Room 4B", teacher_5a.pk: "Room 5A"}))
    for guardian, name, staff in ((parent, "Emma", teacher), (parent_5a, "Mateo", teacher_5a)):
        slot = round_.slots.filter(teacher=staff).order_by("starts_at").first()
        assert slot is not None
        book(guardian, round_, slot, Pupil.objects.get(first_name=name))
    return round_


def test_the_office_reads_every_booking_a_teacher_their_own(
        school: School, admin: User, teacher: User, evening: MeetingRound) -> None:
    office_token = make_token(school, admin, ["bookings:read"])
    rounds = call("get", "/api/meetings/rounds", office_token).json()
    assert rounds["count"] == 1
    assert [c["name"] for c in rounds["items"][0]["classes"]] == ["4B", "5A"]
    everything = call("get", f"/api/meetings/rounds/{evening.pk}/bookings", office_token).json()
    assert sorted((b["pupil"]["name"].split()[0], b["room"]) for b in everything["items"]) == [
        ("Emma", "Room 4B"), ("Mateo", "Room 5A")]
    own = call("get", f"/api/meetings/rounds/{evening.pk}/bookings",
               make_token(school, teacher, ["bookings:read"])).json()
    assert [(b["pupil"]["name"].split()[0], b["teacher"]["id"], b["booked_by"]["name"])
            for b in own["items"]] == [("Emma", teacher.pk, "Anna Jansen")]



def test_a_cancelled_booking_is_not_listed(school: School, admin: User, parent: User,
                                           evening: MeetingRound) -> None:
    cancel(parent, Booking.objects.get(pupil__first_name="Emma"))
    body = call("get", f"/api/meetings/rounds/{evening.pk}/bookings",
                make_token(school, admin, ["bookings:read"])).json()
    assert [b["pupil"]["name"].split()[0] for b in body["items"]] == ["Mateo"]
    assert body["count"] == 1


def test_a_round_the_teacher_has_nothing_to_do_with_is_not_there(
        school: School, class_5a: SchoolClass, admin: User, teacher: User) -> None:
    class_5a.staff.add(UserFactory(username="teacher5a", role=Role.TEACHER, school=school))
    other = publish_round(admin, plan_for([class_5a]))
    token = make_token(school, teacher, ["bookings:read"])
    assert call("get", "/api/meetings/rounds", token).json()["count"] == 0
    for round_id in (other.pk, 999999):
        response = call("get", f"/api/meetings/rounds/{round_id}/bookings", token)
        assert response.status_code == 404 and response.json()["code"] == "not_found"


# --- a OneRoster zip ------------------------------------------------------------------------

def _zip(school: files.School | None = None) -> io.BytesIO:
    return io.BytesIO(files.make_zip(files.bulk_files(school or files.small_school())))


def test_a_oneroster_zip_is_previewed_then_imported(school: School, admin: User) -> None:
    token = make_token(school, admin, ["roster:write"])
    preview = call("post", "/api/roster/imports?format=oneroster&dry_run=true", token,
                   data={"file": _zip()})
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["dry_run"] and body["changed"] and body["leavers"] == []
    assert "Teachers: 2 created" in body["summary"]
    assert not Pupil.objects.exists()
    started = call("post", "/api/roster/imports?format=oneroster", token, data={"file": _zip()})
    assert started.status_code == 202, started.content
    job = RosterImport.objects.get(pk=started.json()["id"])
    assert job.kind == RosterImport.Kind.ONEROSTER


def test_a_bulk_files_leavers_must_be_confirmed(school: School, admin: User) -> None:
    import_oneroster(school, files.make_zip(files.bulk_files(files.small_school())))
    smaller = files.small_school()
    smaller.pupils = smaller.pupils[:2]
    token = make_token(school, admin, ["roster:write"])
    preview = call("post", "/api/roster/imports?format=oneroster&dry_run=true", token,
                   data={"file": _zip(smaller)}).json()
    assert preview["leavers"] == ["1003 Chen Li"]
    refused = call("post", "/api/roster/imports?format=oneroster", token,
                   data={"file": _zip(smaller)})
    assert refused.status_code == 422
    assert refused.json()["code"] == "leavers_unconfirmed"
    assert "confirm_leavers=true" in refused.json()["detail"]
    assert refused.json()["errors"] == ["1003 Chen Li"]
    assert not RosterImport.objects.exists()
    confirmed = call("post", "/api/roster/imports?format=oneroster&confirm_leavers=true",
                     token, data={"file": _zip(smaller)})
    assert confirmed.status_code == 202, confirmed.content


def test_a_bad_zip_names_its_lines_and_changes_nothing(school: School, admin: User) -> None:
    rows = files.bulk_files(files.small_school())
    rows["roles"][0]["role"] = "headmaster"
    token = make_token(school, admin, ["roster:write"])
    for dry_run in ("true", "false"):
        response = call("post", f"/api/roster/imports?format=oneroster&dry_run={dry_run}",
                        token, data={"file": io.BytesIO(files.make_zip(rows))})
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "roster_rejected"
        assert any("roles.csv, line 2: role “headmaster”" in e for e in body["errors"])
    garbage = call("post", "/api/roster/imports?format=oneroster", token,
                   data={"file": io.BytesIO(b"not a zip at all")})
    assert garbage.status_code == 422 and garbage.json()["errors"]
    assert not Pupil.objects.exists() and not RosterImport.objects.exists()
