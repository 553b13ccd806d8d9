"""The school admin's overview at /school/, on a school made with ``create_school``.

Personas: "head", the first admin (accepted the operator's link); "juf", the teacher of 1A
only; the families of a roster import (guardians with an e-mail address, grandparents
without); the DPO the operator made, who checked the archive's integrity.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import formats, timezone

from accounts import dashboard
from accounts.actions.classes import create_class
from accounts.actions.enrolment import assign_staff
from accounts.actions.invitations import (
    accept_invitation,
    invite_new_account,
    issue_invitation,
)
from accounts.actions.leavers import pupil_leaves, schedule_leaver
from accounts.actions.schools import set_up_school
from accounts.dashboard import Panel
from accounts.models import Invitation, Pupil, Role, School, SchoolClass, User
from accounts.roster import import_roster
from archive import chain
from archive.models import Record
from consent import PHOTOS_CLASS
from consent.actions import decide
from consent.models import ConsentRecord
from messaging.actions import membership
from messaging.actions.groups import create_group
from messaging.actions.receipts import acknowledge
from messaging.actions.send import post_message
from records.actions import audit
from tests.accounts.test_roster import as_csv, roster_rows
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-school-secret-7"


def _accepted(person: User) -> User:
    return accept_invitation(person.invitations.get(used_at__isnull=True,
                                                    revoked_at__isnull=True), PASSWORD)


def _person(school: School, admin: User, username: str, role: str) -> User:
    made, _token = invite_new_account(school, actor=admin, username=username,
                                      display_name=username.title(), role=role)
    return _accepted(made)


ROSTER = [
    # Emma and Tim Jansen in 1A: Anna (e-mail) for both, Opa (no e-mail, no responsibility) for Tim.
    ["P1", "Emma", "Jansen", "2017-03-01", "1A", "G1", "Anna Jansen", "anna@example.invalid",
     "mother", "yes"],
    ["P2", "Tim", "Jansen", "2018-05-02", "1A", "G1", "Anna Jansen", "anna@example.invalid",
     "mother", "yes"],
    ["P2", "Tim", "Jansen", "2018-05-02", "1A", "H1", "Opa Jansen", "", "grandparent", "no"],
    # 2B: Olga (her mother has no e-mail address) and Sam (his father has one); 3C: Noor.
    ["P3", "Olga", "Petrova", "2016-01-03", "2B", "G2", "Irina Petrova", "", "mother", "yes"],
    ["P4", "Sam", "Bakker", "2016-07-04", "2B", "G3", "Kees Bakker", "kees@example.invalid",
     "father", "yes"],
    ["P5", "Noor", "Visser", "2015-09-05", "3C", "G4", "Lot Visser", "", "mother", "yes"],
]


def guardian(ref: str) -> User:
    return User.objects.get(username=f"regenboog-{ref.lower()}")


@pytest.fixture
def made() -> dict[str, Any]:
    """De Regenboog from its roster (guardians invited by nobody yet), an empty class 4A, a
    teacher of 1A, the DPO."""
    setup = set_up_school("De Regenboog", slug="regenboog", admin_username="head")
    school, admin = setup.school, _accepted(setup.admin)
    import_roster(school, as_csv(ROSTER), actor=admin)
    create_class(school, "4A", actor=admin)
    teacher = _person(school, admin, "juf", Role.TEACHER)
    assign_staff(teacher, SchoolClass.objects.get(school=school, name="1A"), actor=admin)
    dpo = UserFactory(username="dpo", role=Role.DPO, school=school)
    return {"school": school, "admin": admin, "teacher": teacher, "dpo": dpo}


def paper(pupil: Pupil, decision: str, admin: User) -> None:
    """A decision on paper by the pupil's guardian with parental responsibility."""
    decide(pupil.guardianships.get(parental_responsibility=True).guardian, pupil, PHOTOS_CLASS,
           decision, method=ConsentRecord.Method.PAPER, recorded_by=admin,
           signed_on=timezone.localdate())


def _panels(client: Client) -> dict[str, Panel]:
    page = client.get("/school/")
    assert page.status_code == 200
    return {panel.name: panel for panel in page.context["panels"]}


def _figures(panel: Panel) -> dict[str, int]:
    return {f.label: f.value for f in panel.figures}


def test_every_app_contributes_its_panel() -> None:
    assert dashboard.registered() == ["people", "classes", "consent", "announcements",
                                      "leavers", "archive", "backups", "latest_changes", "sso"]


def test_the_people_panel_counts_accepted_open_expired_and_never_invited(
        client: Client, made: dict[str, Any]) -> None:
    admin = made["admin"]
    issue_invitation(guardian("G1"), actor=admin)  # open
    expired, _token = issue_invitation(guardian("G3"), actor=admin)
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    client.force_login(admin)
    figures = _figures(_panels(client)["people"])
    assert figures == {
        "Accounts in use": 2,  # head, juf (the DPO is the operator's)
        "Invitations accepted": 2,
        "Invitations open": 1,
        "Invitations expired": 1,
        "Not signed up, no valid link": 4,  # Opa, Irina, Kees (expired), Lot
    }
    page = client.get("/school/").content.decode()
    assert "Print letters for the 3 families without an e-mail address" in page
    assert 'href="/school/invitations/#expired"' in page
    expired_list = client.get("/school/invitations/").content.decode().split('id="expired"')[1]
    assert "Kees Bakker" in expired_list and "Make a new link" in expired_list


def test_classes_without_a_teacher_are_listed_with_a_link(client: Client,
                                                          made: dict[str, Any]) -> None:
    client.force_login(made["admin"])
    panel = _panels(client)["classes"]
    assert _figures(panel) == {"Classes without a teacher": 3, "Teacher not signed up yet": 0}
    assert [row[0].text for row in panel.tables[0].rows] == ["2B", "3C", "4A"]
    four_a = SchoolClass.objects.get(school=made["school"], name="4A")
    assert panel.tables[0].rows[2][0].href == f"/school/classes/{four_a.pk}/"


def test_a_class_whose_teacher_has_not_signed_up_yet_has_a_teacher(
        client: Client, made: dict[str, Any]) -> None:
    school, admin = made["school"], made["admin"]
    invited, _token = invite_new_account(school, actor=admin, username="meester",
                                         display_name="Meester Bram", role=Role.TEACHER)
    four_a = SchoolClass.objects.get(school=school, name="4A")
    assign_staff(invited, four_a, actor=admin)
    client.force_login(admin)
    panel = _panels(client)["classes"]
    assert _figures(panel) == {"Classes without a teacher": 2, "Teacher not signed up yet": 1}
    bare, waiting = panel.tables
    assert [row[0].text for row in bare.rows] == ["2B", "3C"]
    assert [[c.text for c in row] for row in waiting.rows] == [["4A", "Meester Bram"]]
    assert waiting.rows[0][0].href == f"/school/classes/{four_a.pk}/"
    # Once the teacher has signed up, the class is simply taught.
    _accepted(invited)
    panel = _panels(client)["classes"]
    assert _figures(panel) == {"Classes without a teacher": 2, "Teacher not signed up yet": 0}


def test_the_overview_writes_times_in_the_schools_time_zone(
        client: Client, made: dict[str, Any], settings: Any) -> None:
    """The server runs in UTC; De Regenboog is in Amsterdam (UTC+1 in December): the latest
    changes are written as the school's clock read them, as every other page writes them."""
    settings.TIME_ZONE = "UTC"
    school, admin = made["school"], made["admin"]
    assert school.time_zone == "Europe/Amsterdam"
    create_class(school, "5A", actor=admin)
    newest = Record.objects.filter(kind="admin.class_created").order_by("-position").first()
    assert newest is not None
    there = formats.date_format(timezone.localtime(newest.created_at,
                                                   ZoneInfo("Europe/Amsterdam")),
                                "SHORT_DATETIME_FORMAT")
    utc = formats.date_format(timezone.localtime(newest.created_at, ZoneInfo("UTC")),
                              "SHORT_DATETIME_FORMAT")
    assert there != utc
    client.force_login(admin)
    when = [row[0].text for row in _panels(client)["latest_changes"].tables[0].rows]
    assert when[0] == there
    # The invitations page writes a link's expiry in the same zone.
    invitation, _token = issue_invitation(guardian("G3"), actor=admin)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=datetime(2026, 12, 8, 7, 5, tzinfo=UTC))
    page = client.get("/school/invitations/").content.decode()
    assert "08:05" in page and "07:05" not in page


def test_consent_coverage_per_class_and_purpose(client: Client, made: dict[str, Any]) -> None:
    school, admin = made["school"], made["admin"]
    one_a = SchoolClass.objects.get(school=school, name="1A")
    paper(Pupil.objects.get(ref="P1"), ConsentRecord.Decision.GRANTED, admin)
    paper(Pupil.objects.get(ref="P2"), ConsentRecord.Decision.GRANTED, admin)
    paper(Pupil.objects.get(ref="P2"), ConsentRecord.Decision.WITHDRAWN, admin)
    paper(Pupil.objects.get(ref="P3"), ConsentRecord.Decision.REFUSED, admin)
    client.force_login(admin)
    panel = _panels(client)["consent"]
    tables = {t.caption: t for t in panel.tables}
    assert list(tables) == ["1A (2 pupils)", "2B (2 pupils)", "3C (1 pupil)", "4A (0 pupils)"]

    def photos(caption: str) -> list[str]:
        row = next(r for r in tables[caption].rows if r[0].text == "Photos in class groups")
        return [c.text for c in row[1:]]  # granted, refused or withdrawn, not answered

    assert photos("1A (2 pupils)") == ["1", "1", "0"]
    assert photos("2B (2 pupils)") == ["0", "1", "1"]
    assert photos("3C (1 pupil)") == ["0", "0", "1"]
    assert tables["1A (2 pupils)"].rows[0][0].href == f"/consent/class/{one_a.pk}/"
    assert tables["4A (0 pupils)"].rows == []
    assert len(tables["2B (2 pupils)"].rows) == len(panel.tables[0].rows) >= 3  # every purpose


def test_announcements_waiting_for_acknowledgement(client: Client, made: dict[str, Any]) -> None:
    school, admin, teacher = made["school"], made["admin"], made["teacher"]
    channel = create_group(school, "News", announcements=True, actor=admin)
    membership.add_member(channel, teacher, actor=admin, manager=True)
    readers = [_accepted(issue_invitation(guardian(ref), actor=admin)[0].user)
               for ref in ("G1", "G2", "G3")]
    for reader in readers:
        membership.add_member(channel, reader, actor=admin)
    asked, _ = post_message(teacher, channel, "Trip on Friday", ack_requested=True)
    done, _ = post_message(teacher, channel, "Sports day", ack_requested=True)
    post_message(teacher, channel, "No answer needed")
    acknowledge(readers[0], asked)
    for reader in readers:
        acknowledge(reader, done)
    client.force_login(admin)
    panel = _panels(client)["announcements"]
    assert _figures(panel) == {"Announcements waiting for acknowledgement": 1}
    [row] = panel.tables[0].rows
    assert [row[0].text, row[1].text, row[3].text] == ["News", "Juf", "2 of 3"]
    assert row[0].href == ""  # the admin is not a reader of the channel: no list to open
    assert "Trip on Friday" not in client.get("/school/").content.decode()


def test_leavers_of_the_next_two_weeks(client: Client, made: dict[str, Any]) -> None:
    school, admin = made["school"], made["admin"]
    today = timezone.localdate()
    schedule_leaver(made["teacher"], today + timedelta(days=3), actor=admin)
    schedule_leaver(guardian("G3"), today + timedelta(days=20), actor=admin)
    pupil_leaves(Pupil.objects.get(school=school, ref="P4"), actor=admin,
                 on=today + timedelta(days=14))
    client.force_login(admin)
    panel = _panels(client)["leavers"]
    assert _figures(panel) == {"Leavers due": 2}
    assert [[c.text for c in row[:2]] for row in panel.tables[0].rows] == [
        ["Juf", "Teacher"], ["Sam Bakker", "Pupil"]]


def test_the_archive_panel_shows_the_last_seal_and_integrity_check(
        client: Client, made: dict[str, Any]) -> None:
    client.force_login(made["admin"])
    notes = _panels(client)["archive"].notes
    assert notes == ["The archive has not been sealed yet.",
                     "No integrity check yet. The data-protection officer runs it from the "
                     "archive's page."]
    chain.seal()
    audit(made["dpo"], "archive.verified", intact=True, records=10)
    notes = _panels(client)["archive"].notes
    assert notes[0].startswith("Last sealed: ")
    assert notes[1].startswith("Last integrity check (") and notes[1].endswith("): passed.")
    audit(made["dpo"], "archive.verified", intact=False, records=10)
    assert "FAILED" in _panels(client)["archive"].notes[1]


def _queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/school/").status_code == 200
    return len(captured)


def test_the_page_makes_the_same_number_of_queries_whatever_the_schools_size(
        client: Client, made: dict[str, Any]) -> None:
    school, admin, teacher = made["school"], made["admin"], made["teacher"]
    channel = create_group(school, "News", announcements=True, actor=admin)
    membership.add_member(channel, teacher, actor=admin, manager=True)
    membership.add_member(channel, admin, actor=teacher)
    post_message(teacher, channel, "Trip", ack_requested=True)
    client.force_login(admin)
    client.get("/school/")  # the first request fills the process's caches (content types)
    small = _queries(client)

    import_roster(school, as_csv(roster_rows(count=60)), actor=admin)
    for name in ("6A", "6B", "6C"):
        create_class(school, name, actor=admin)
    for guardian in User.objects.filter(school=school, role=Role.PARENT)[:10]:
        issue_invitation(guardian, actor=admin)
        membership.add_member(channel, guardian, actor=admin)
    for n in range(5):
        post_message(teacher, channel, f"Notice {n}", ack_requested=True)
    for pupil in Pupil.objects.filter(school=school, ref__startswith="P0")[:8]:
        paper(pupil, ConsentRecord.Decision.GRANTED, admin)
        pupil_leaves(pupil, actor=admin, on=timezone.localdate() + timedelta(days=5))
    chain.seal()
    audit(made["dpo"], "archive.verified", intact=True, records=1)
    assert SchoolClass.objects.filter(school=school).count() == 18
    panels = _panels(client)
    assert _figures(panels["announcements"])["Announcements waiting for acknowledgement"] == 6
    # The same, but for the latest-changes panel, which looks up the names (people, pupils,
    # classes, conversations: at most four queries) that its eight lines happen to mention.
    assert abs(_queries(client) - small) <= 4
    assert small <= 34
