"""OneRoster 1.2 CSV: a bulk file then a delta give the school the pupils, guardians, classes,
enrolments and leavers the files say; a delta applied twice changes nothing the second time;
bad files are refused whole, every bad line named; the command's exit codes; the page."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from accounts.models import Enrolment, Guardianship, Pupil, RosterImport, School, SchoolClass, User
from accounts.oneroster import MAX_UNCOMPRESSED
from accounts.oneroster_import import import_oneroster
from accounts.roster import RosterRejected
from archive.models import Record
from messaging.actions.classes import class_conversation
from messaging.models import Membership
from tests.accounts import oneroster_files as files
from tests.accounts.oneroster_files import Person, delta, make_zip, small_school

pytestmark = pytest.mark.django_db


def bulk(school: files.School | None = None, **kwargs: object) -> bytes:
    return make_zip(files.bulk_files(school or small_school()), **kwargs)  # type: ignore[arg-type]


def refused(school: School, raw: bytes) -> list[str]:
    with pytest.raises(RosterRejected) as caught:
        import_oneroster(school, raw)
    return caught.value.errors


def pupils(school: School) -> dict[str, tuple[str, str, date | None, date | None]]:
    return {p.sourced_id: (p.first_name, p.last_name, p.date_of_birth, p.left_on)
            for p in Pupil.objects.filter(school=school)}


def classes_of(school: School) -> dict[str, str]:
    """Each pupil's current class, by sourcedId."""
    return {e.pupil.sourced_id: e.school_class.name for e in Enrolment.objects.current().filter(
        pupil__school=school).select_related("pupil", "school_class")}


def guardians_of(school: School) -> set[tuple[str, str, str]]:
    return {(g.pupil.sourced_id, g.guardian.sourced_id, g.relationship)
            for g in Guardianship.objects.filter(pupil__school=school).select_related(
                "pupil", "guardian")}


def records(school: School) -> int:
    return Record.objects.filter(scope=f"school:{school.pk}").count()


def test_a_bulk_file_makes_the_pupils_guardians_classes_and_teachers(school: School) -> None:
    report = import_oneroster(school, bulk())
    assert pupils(school) == {
        "p-1": ("Anna", "de Vries", date(2016, 3, 14), None),
        "p-2": ("Bram", "Jansen", date(2016, 5, 2), None),
        "p-3": ("Chen", "Li", date(2015, 1, 20), None)}
    assert Pupil.objects.get(sourced_id="p-1").ref == "1001"
    assert classes_of(school) == {"p-1": "4B", "p-2": "4B", "p-3": "5A"}
    assert guardians_of(school) == {("p-1", "g-1", "parent"), ("p-1", "g-2", "guardian"),
                                    ("p-2", "g-3", "parent"), ("p-3", "g-4", "parent")}
    # The homeroom classes with their teachers; the scheduled class is skipped and said so.
    assert set(SchoolClass.objects.filter(school=school).values_list("sourced_id", "name")) == {
        ("cls-4b", "4B"), ("cls-5a", "5A")}
    assert [u.sourced_id for u in SchoolClass.objects.get(name="4B").staff.all()] == ["t-1"]
    assert User.objects.get(sourced_id="t-1").role == "teacher"
    assert User.objects.get(sourced_id="g-1").email == "eva@example.org"
    assert report.skipped == ["Maths 4"]
    assert not report.delta and report.leavers == []


def members(school: School, sourced_id: str) -> set[str]:
    """The class group's current members, by sourcedId (or username)."""
    conversation = class_conversation(SchoolClass.objects.get(school=school,
                                                              sourced_id=sourced_id))
    return {m.user.sourced_id or m.user.username for m in Membership.objects.filter(
        conversation=conversation, ended_at__isnull=True).select_related("user")}


def test_the_class_groups_follow_the_file(school: School) -> None:
    """Teachers and guardians are in their class's group as the roster CSV puts them there;
    a guardian whose guardianship a delta ends leaves it."""
    import_oneroster(school, bulk())
    assert members(school, "cls-4b") == {"t-1", "g-1", "g-2", "g-3"}
    assert members(school, "cls-5a") == {"t-2", "g-4"}
    import_oneroster(school, make_zip(delta({"users": [
        {"sourcedId": "g-2", "status": "tobedeleted", "enabledUser": "true",
         "username": "g-2", "givenName": "Joost", "familyName": "de Vries"}]}), mode="delta"))
    assert members(school, "cls-4b") == {"t-1", "g-1", "g-3"}


def test_the_same_bulk_file_twice_changes_nothing(school: School) -> None:
    import_oneroster(school, bulk())
    before = records(school)
    again = import_oneroster(school, bulk())
    assert not again.changed and records(school) == before


def test_a_bulk_file_then_a_delta(school: School) -> None:
    import_oneroster(school, bulk())
    change = make_zip(delta({
        # Bram moves to 5A; a new pupil with a new parent; Chen is deleted; Joost
        # (a guardian of Anna) is deleted; Anna's name is corrected.
        "users": [
            {"sourcedId": "p-1", "enabledUser": "true", "username": "p-1", "givenName": "Anne",
             "familyName": "de Vries", "identifier": "1001", "agentSourcedIds": "g-1,g-2"},
            {"sourcedId": "p-4", "enabledUser": "true", "username": "p-4", "givenName": "Daan",
             "familyName": "Visser", "identifier": "1004", "agentSourcedIds": "g-5"},
            {"sourcedId": "g-5", "enabledUser": "true", "username": "g-5", "givenName": "Sanne",
             "familyName": "Visser", "email": "sanne@example.org"},
            {"sourcedId": "p-3", "status": "tobedeleted", "enabledUser": "true",
             "username": "p-3", "givenName": "Chen", "familyName": "Li"},
            {"sourcedId": "g-2", "status": "tobedeleted", "enabledUser": "true",
             "username": "g-2", "givenName": "Joost", "familyName": "de Vries"},
        ],
        "roles": [
            {"sourcedId": "role-p-4", "userSourcedId": "p-4", "roleType": "primary",
             "role": "student", "orgSourcedId": files.SCHOOL_ORG},
            {"sourcedId": "role-g-5", "userSourcedId": "g-5", "roleType": "primary",
             "role": "parent", "orgSourcedId": files.SCHOOL_ORG},
        ],
        "enrollments": [
            {"sourcedId": "enr-p-2", "status": "tobedeleted", "classSourcedId": "cls-4b",
             "schoolSourcedId": files.SCHOOL_ORG, "userSourcedId": "p-2", "role": "student"},
            {"sourcedId": "enr-p-2-5a", "classSourcedId": "cls-5a",
             "schoolSourcedId": files.SCHOOL_ORG, "userSourcedId": "p-2", "role": "student"},
            {"sourcedId": "enr-p-4", "classSourcedId": "cls-4b",
             "schoolSourcedId": files.SCHOOL_ORG, "userSourcedId": "p-4", "role": "student"},
        ],
    }), mode="delta")
    report = import_oneroster(school, change)
    assert report.delta
    assert pupils(school)["p-1"][0] == "Anne"
    assert pupils(school)["p-3"][3] == date(2026, 11, 20)  # left on its dateLastModified
    assert pupils(school)["p-4"] == ("Daan", "Visser", None, None)
    assert classes_of(school) == {"p-1": "4B", "p-2": "5A", "p-4": "4B"}
    assert guardians_of(school) == {("p-1", "g-1", "parent"), ("p-2", "g-3", "parent"),
                                    ("p-3", "g-4", "parent"), ("p-4", "g-5", "parent")}

    # The same delta again: nothing changes, and the archive has no new record.
    before, state = records(school), (pupils(school), classes_of(school), guardians_of(school))
    again = import_oneroster(school, change)
    assert not again.changed, again.changes
    assert records(school) == before
    assert (pupils(school), classes_of(school), guardians_of(school)) == state


def test_pupils_missing_from_a_bulk_file_leave_on_its_date(school: School) -> None:
    import_oneroster(school, bulk())
    smaller = small_school()
    smaller.pupils = smaller.pupils[:2]
    preview = import_oneroster(school, bulk(smaller, dated=(2026, 11, 5)), dry_run=True)
    assert preview.leavers == ["1003 Chen Li"]
    assert pupils(school)["p-3"][3] is None  # a preview changes nothing
    import_oneroster(school, bulk(smaller, dated=(2026, 11, 5)))
    assert pupils(school)["p-3"][3] == date(2026, 11, 5)
    assert "p-3" not in classes_of(school)


def test_a_school_moving_from_its_own_csv_keeps_its_pupils(school: School) -> None:
    """A pupil the school's CSV made is matched once by its reference (the identifier)."""
    Pupil.objects.create(school=school, ref="1001", first_name="Anna", last_name="de Vries")
    import_oneroster(school, bulk())
    assert Pupil.objects.filter(school=school, ref="1001").get().sourced_id == "p-1"


@pytest.mark.parametrize("header", [files.USERS_1_2_0, files.USERS_1_2_1])
def test_both_1_2_users_files_are_read_with_or_without_a_bom(school: School,
                                                             header: list[str]) -> None:
    raw = bulk(headers={"users": header}, bom=True)
    import_oneroster(school, raw)
    assert len(pupils(school)) == 3


def test_extra_columns_at_the_right_are_allowed(school: School) -> None:
    rows = files.bulk_files(small_school())
    for row in rows["users"]:
        row["metadata.house"] = "Blue"
    import_oneroster(school, make_zip(rows, headers={"users": [*files.USERS_1_2_1,
                                                               "metadata.house"]}))
    assert len(pupils(school)) == 3


def test_a_misspelt_header_is_refused_naming_the_column(school: School) -> None:
    header = ["givenNmae" if c == "givenName" else c for c in files.USERS_1_2_1]
    errors = refused(school, bulk(headers={"users": header}))
    assert len(errors) == 1
    assert errors[0].startswith("users.csv, line 1: ")
    assert "Column 7 is “givenNmae” instead of “givenName”" in errors[0]
    assert not Pupil.objects.exists()


def test_bad_dates_unknown_roles_and_dangling_references_are_refused_whole(
        school: School) -> None:
    rows = files.bulk_files(small_school())
    rows["demographics"][1]["birthDate"] = "14-03-2016"
    rows["roles"][0]["role"] = "headmaster"
    rows["enrollments"][2]["classSourcedId"] = "cls-9z"
    rows["users"][0]["agentSourcedIds"] = "g-1,g-99"
    errors = refused(school, make_zip(rows))
    assert errors == [
        "roles.csv, line 2: role “headmaster” is not one of aide, counselor, "
        "districtAdministrator, guardian, parent, principal, proctor, relative, "
        "siteAdministrator, student, systemAdministrator, teacher (or an ext: value).",
        "demographics.csv, line 3: birthDate “14-03-2016” is not a date such as 2026-03-14.",
        "users.csv, line 2: g-99 is not in users.csv.",
        "enrollments.csv, line 4: cls-9z is not in classes.csv.",
    ]
    assert not Pupil.objects.exists() and not User.objects.filter(school=school).exists()


def test_a_delta_row_needs_its_status_and_date(school: School) -> None:
    import_oneroster(school, bulk())
    rows = delta({"users": [{"sourcedId": "p-1", "enabledUser": "true", "username": "p-1",
                             "givenName": "A", "familyName": "B"}]})
    rows["users"][0].update(status="", dateLastModified="yesterday")
    errors = refused(school, make_zip(rows, mode="delta"))
    assert errors == [
        "users.csv, line 2: status must be active or tobedeleted in a delta file.",
        "users.csv, line 2: dateLastModified “yesterday” is not a date and time such as "
        "2026-03-14T08:00:00Z."]


def test_a_delta_may_name_what_the_school_keeps_but_nothing_else(school: School) -> None:
    import_oneroster(school, bulk())
    rows = delta({"enrollments": [
        {"sourcedId": "enr-x", "classSourcedId": "cls-5a", "schoolSourcedId": files.SCHOOL_ORG,
         "userSourcedId": "p-1", "role": "student"},
        {"sourcedId": "enr-y", "classSourcedId": "cls-5a", "schoolSourcedId": files.SCHOOL_ORG,
         "userSourcedId": "p-99", "role": "student"}]})
    assert refused(school, make_zip(rows, mode="delta")) == [
        "enrollments.csv, line 3: p-99 is not in users.csv."]
    assert classes_of(school)["p-1"] == "4B"
    rows["enrollments"].pop()
    import_oneroster(school, make_zip(rows, mode="delta"))
    assert classes_of(school)["p-1"] == "5A"


def test_a_one_one_file_is_refused_with_a_sentence(school: School) -> None:
    errors = refused(school, make_zip({"users": []}, version="1.1",
                                      headers={"users": files.USERS_1_1}))
    assert errors == ["This is a OneRoster 1.1 file. Schoolchat reads OneRoster 1.2 only: "
                      "export the roster again as OneRoster 1.2 CSV."]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:  # no manifest, the 1.1 users header
        archive.writestr("users.csv", ",".join(files.USERS_1_1) + "\r\n")
    assert refused(school, out.getvalue()) == errors


def test_zip_bombs_climbing_paths_and_garbage_are_refused(school: School) -> None:
    bomb = make_zip(files.bulk_files(small_school()),
                    extra={"padding.csv": b"0" * (MAX_UNCOMPRESSED + 1)})
    assert refused(school, bomb) == ["The zip unpacks to more than 100 MB."]
    climbing = make_zip(files.bulk_files(small_school()), extra={"../evil.csv": b"x"})
    assert refused(school, climbing) == ["The zip holds a file outside its own folder: "
                                         "../evil.csv."]
    assert refused(school, b"PK\x03\x04 not really") == ["The file is not a zip that can be "
                                                         "read."]


def test_too_many_members_or_rows_are_refused(school: School,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    crowded = make_zip(files.bulk_files(small_school()),
                       extra={f"notes/{n}.txt": b"" for n in range(40)})
    assert refused(school, crowded) == ["The zip holds more than 40 files."]
    monkeypatch.setattr("accounts.oneroster.MAX_ROWS", 5)
    assert refused(school, bulk()) == ["users.csv, line 7: the file has more than 5 rows.",
                                       "roles.csv, line 7: the file has more than 5 rows."]


def test_the_command_imports_and_exits_non_zero_when_it_refuses(school: School,
                                                                tmp_path: Path) -> None:
    good, bad = tmp_path / "good.zip", tmp_path / "bad.zip"
    good.write_bytes(bulk())
    header = ["givenNmae" if c == "givenName" else c for c in files.USERS_1_2_1]
    bad.write_bytes(bulk(headers={"users": header}))
    out, err = io.StringIO(), io.StringIO()
    call_command("import_oneroster", str(good), school=school.slug, dry_run=True, stdout=out)
    assert "dry run, nothing applied" in out.getvalue() and not Pupil.objects.exists()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_oneroster", str(bad), school=school.slug, stderr=err)
    assert "users.csv, line 1:" in err.getvalue()
    call_command("import_oneroster", str(good), school=school.slug, stdout=out)
    assert len(pupils(school)) == 3
    with pytest.raises(CommandError):
        call_command("import_oneroster", str(tmp_path / "missing.zip"), school=school.slug)


def test_the_admin_previews_then_applies_a_oneroster_zip(
        client: Client, admin: User, school: School,
        django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[object]]) -> None:
    import_oneroster(school, bulk())
    smaller = small_school()
    smaller.pupils = smaller.pupils[:2]
    smaller.people.append(Person("g-6", "Noor", "Bakker", "noor@example.org"))
    client.force_login(admin)
    url = reverse("accounts:school_roster")
    upload = io.BytesIO(bulk(smaller))
    upload.name = "roster.zip"
    page = client.post(url, {"file": upload})
    text = page.content.decode()
    assert page.status_code == 200
    assert "OneRoster 1.2.1, a bulk file" in text
    assert "Maths 4" in text  # the skipped scheduled class
    assert "1003 Chen Li" in text  # the leavers to confirm
    digest = page.context["sha256"]
    # Applying without confirming the leavers is refused; with it, the worker's job runs.
    refusal = client.post(url, {"confirm": digest})
    assert refusal.status_code == 400 and RosterImport.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):  # the worker applies it
        done = client.post(url, {"confirm": digest, "leavers_confirmed": "on"})
    assert client.get(done["Location"]).status_code == 200
    job = RosterImport.objects.get()
    assert job.kind == RosterImport.Kind.ONEROSTER and job.state == RosterImport.State.DONE
    assert pupils(school)["p-3"][3] is not None


def test_a_bad_zip_on_the_page_names_every_line_and_changes_nothing(client: Client,
                                                                    admin: User,
                                                                    school: School) -> None:
    rows = files.bulk_files(small_school())
    rows["roles"][0]["role"] = "headmaster"
    upload = io.BytesIO(make_zip(rows))
    upload.name = "roster.zip"
    client.force_login(admin)
    page = client.post(reverse("accounts:school_roster"), {"file": upload})
    assert page.status_code == 400
    assert "roles.csv, line 2: role “headmaster”" in page.content.decode()
    assert not Pupil.objects.exists()


@pytest.mark.parametrize("persona", ["teacher", "parent", "dpo"])
def test_only_the_schools_admin_may_upload_a_oneroster_zip(request: pytest.FixtureRequest,
                                                           client: Client, persona: str,
                                                           school: School) -> None:
    client.force_login(request.getfixturevalue(persona))
    upload = io.BytesIO(bulk())
    upload.name = "roster.zip"
    assert client.post(reverse("accounts:school_roster"), {"file": upload}).status_code == 404
    assert not Pupil.objects.filter(sourced_id__startswith="p-").exists()


def test_a_file_that_changes_nothing_says_so_and_names_the_skipped_classes(
        client: Client, admin: User, school: School) -> None:
    import_oneroster(school, bulk())
    upload = io.BytesIO(bulk())
    upload.name = "roster.zip"
    client.force_login(admin)
    page = client.post(reverse("accounts:school_roster"), {"file": upload})
    text = page.content.decode()
    assert page.status_code == 200
    assert "The roster already matches this file" in text and "Maths 4" in text
    assert 'name="confirm"' not in text
