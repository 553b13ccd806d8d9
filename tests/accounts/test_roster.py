"""Roster import: whole-file validation, exact names in any script, idempotent re-import,
leavers, and the next school year moving pupils with their guardians."""

import csv
import io
from collections.abc import Collection, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import cast
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from accounts.actions.enrolment import assign_staff
from accounts.models import Enrolment, Guardianship, Pupil, School, SchoolClass, User
from accounts.roster import COLUMNS, RosterRejected, import_roster
from messaging.actions.classes import class_conversation
from messaging.models import Membership

pytestmark = pytest.mark.django_db

FIRST = ["Дмитрий", "Анастасия", "Zoë", "Chloé", "Jürgen", "Ærøskøbing", "Łukasz", "Núñez",
         "Søren", "Ångström", "Οδυσσέας", "François", "Øyvind", "Müller-Lüdenscheidt", "Şükrü"]
LAST = ["Петров", "Иванова", "de Vries", "García Márquez", "Ó Súilleabháin", "Dvořák",
        "Nguyễn", "Kovač", "O'Brien", "Van den Berg", "Ščerbakov", "Björk"]


def roster_rows(year_offset: int = 0, count: int = 300, leave: Collection[str] = ()) -> list[list[str]]:
    rows = []
    for n in range(count):
        ref = f"P{n:04d}"
        if ref in leave:
            continue
        grade = 1 + n % 5 + year_offset
        klass = f"{grade}{'ABC'[n % 3]}"
        first, last = FIRST[n % len(FIRST)], LAST[n % len(LAST)]
        # Siblings: pupils 2k and 2k+1 share their first guardian.
        shared = f"G{n // 2:04d}"
        rows.append([ref, first, last, f"2016-{1 + n % 12:02d}-{1 + n % 28:02d}", klass, shared,
                     f"{FIRST[n // 2 % len(FIRST)]} senior {LAST[n // 2 % len(LAST)]}",
                     f"{shared.lower()}@example.invalid", "parent", "yes"])
        if n % 4 == 0:
            rows.append([ref, first, last, f"2016-{1 + n % 12:02d}-{1 + n % 28:02d}", klass,
                         f"H{n:04d}", f"Grand-père {last}", "", "grandparent", "no"])
    return rows


def as_csv(rows: Iterable[Sequence[str]], header: Sequence[str] = COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def snapshot() -> tuple[object, ...]:
    return (
        sorted(Pupil.objects.values_list("ref", "first_name", "last_name", "date_of_birth",
                                         "left_on")),
        sorted(User.objects.values_list("username", "display_name", "email", "is_active")),
        sorted(Guardianship.objects.values_list("guardian__ref", "pupil__ref", "relationship",
                                                "parental_responsibility")),
        sorted(Enrolment.objects.values_list("pupil__ref", "school_class__name", "starts_on",
                                             "ends_on")),
        Membership.objects.count(),
    )


def class_members(school: School, name: str) -> set[str]:
    conversation = class_conversation(SchoolClass.objects.get(school=school, name=name))
    return set(Membership.objects.filter(conversation=conversation, ended_at__isnull=True)
               .values_list("user__ref", flat=True))


def test_300_pupils_with_names_in_any_script_import_in_one_go(school: School, admin: User,
                                                              tmp_path: Path) -> None:
    rows = roster_rows()
    # A decomposed accent (e + combining diaeresis) is kept as written, not normalised.
    decomposed = "Noe\u0308l"
    for row in rows:
        if row[0] == "P0007":
            row[1] = decomposed
    path = tmp_path / "roster.csv"
    path.write_text(as_csv(rows), encoding="utf-8")
    out = io.StringIO()
    call_command("import_roster", str(path), stdout=out)
    assert "Pupils: 300 created, 0 updated, 0 unchanged, 0 leaving." in out.getvalue()
    assert Pupil.objects.filter(school=school).count() == 300
    # Every imported pupil has a date of birth.
    stored = {ref: (first, last, cast(date, born).isoformat())
              for ref, first, last, born in Pupil.objects.filter(school=school).values_list(
                  "ref", "first_name", "last_name", "date_of_birth")}
    assert stored == {ref: (first, last, born) for ref, first, last, born, *_ in rows}
    assert stored["P0007"][0] == decomposed and len(stored["P0007"][0]) == 5
    guardians = dict(User.objects.filter(school=school).exclude(ref="")
                     .values_list("ref", "display_name"))
    assert guardians == {row[5]: row[6] for row in rows}
    assert guardians["G0000"] == "Дмитрий senior Петров"
    guardian = User.objects.get(school=school, ref="G0000")
    # Guardian accounts wait for an invitation: no password, not active.
    assert not guardian.is_active and not guardian.has_usable_password()
    assert guardian.role == "parent"
    # Class groups were created and hold the responsible guardians (not the grandparents).
    assert class_members(school, "1A") >= {"G0000"}
    assert "H0000" not in class_members(school, "1A")


def test_a_file_with_three_bad_lines_is_rejected_naming_them_and_nothing_changes(
        school: School, admin: User, tmp_path: Path) -> None:
    import_roster(school, as_csv(roster_rows(count=20)), actor=admin)
    before = snapshot()
    rows = roster_rows(year_offset=1, count=20)
    rows[2][3] = "03/14/2016"           # line 4 (month first)
    rows[6][9] = "maybe"                # line 8
    rows[10][1] = ""                    # line 12
    path = tmp_path / "bad.csv"
    path.write_text(as_csv(rows), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="3 bad line"):
        call_command("import_roster", str(path), stderr=err)
    assert err.getvalue().splitlines() == [
        "Line 4: the date of birth “03/14/2016” is not a date: write it as 2016-03-14 or "
        "14-03-2016.",
        "Line 8: parental responsibility (parental_responsibility) must be yes or no.",
        "Line 12: the pupil's first name (pupil_first_name) is empty.",
    ]
    assert snapshot() == before


def test_the_command_exits_non_zero_on_a_bad_file(tmp_path: Path, school: School,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from accounts.management.commands.import_roster import Command

    path = tmp_path / "bad.csv"
    path.write_text("pupil_ref,name\nP1,x\n", encoding="utf-8")
    # run_from_argv is what manage.py calls: a CommandError becomes exit status 1.
    with mock.patch("django.core.management.base.connections.close_all"), \
            pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["manage.py", "import_roster", str(path)])
    assert exited.value.code == 1
    assert "Line 1: The first line must name the columns" in capsys.readouterr().err
    assert not Pupil.objects.exists()


def test_reimporting_the_same_file_changes_nothing(school: School, admin: User, tmp_path: Path) -> None:
    text = as_csv(roster_rows(count=40))
    import_roster(school, text, actor=admin)
    before = snapshot()
    report = import_roster(school, text, actor=admin)
    assert report.changes == []
    assert report.counts["pupil.unchanged"] == 40
    assert report.counts["pupil.left"] == report.counts["pupil.updated"] == 0
    assert snapshot() == before
    out = io.StringIO()
    path = tmp_path / "same.csv"
    path.write_text(text, encoding="utf-8")
    call_command("import_roster", str(path), stdout=out)
    assert "Pupils: 0 created, 0 updated, 40 unchanged, 0 leaving." in out.getvalue()


def test_a_dry_run_reports_every_change_and_applies_none(school: School, admin: User) -> None:
    before = snapshot()
    report = import_roster(school, as_csv(roster_rows(count=10)), actor=admin, dry_run=True)
    assert report.counts["pupil.created"] == 10
    assert any(c == "New pupil P0000 Дмитрий Петров" for c in report.changes)
    assert snapshot() == before


def test_next_years_roster_moves_pupils_and_guardians_follow(school: School, admin: User) -> None:
    teacher_1a = User.objects.create(username="t1a", role="teacher", school=school)
    import_roster(school, as_csv(roster_rows(count=30)), actor=admin)
    assign_staff(teacher_1a, SchoolClass.objects.get(school=school, name="1A"),
                         actor=admin)
    # P0000 and P0001 share guardian G0000; P0000 is in 1A, P0001 in 2B.
    assert "G0000" in class_members(school, "1A")
    assert "G0000" in class_members(school, "2B")
    report = import_roster(school, as_csv(roster_rows(year_offset=1, count=30, leave={"P0029"})),
                           actor=admin)
    assert report.counts["enrolment.moved"] == 29
    assert report.counts["pupil.left"] == 1
    # Guardians followed their children: out of the old classes, into the new ones.
    assert "G0000" in class_members(school, "2A")
    assert "G0000" in class_members(school, "3B")
    # 1A has no pupils next year: only its teacher (an account without a roster ref) is left.
    assert class_members(school, "1A") == {""}
    # The old enrolment ended and a new one started: history, not an edit.
    enrolments = Enrolment.objects.filter(pupil__ref="P0000").order_by("starts_on", "pk")
    assert [e.school_class.name for e in enrolments] == ["1A", "2A"]
    assert enrolments[0].ends_on is not None and enrolments[1].ends_on is None
    # The leaver (5C) is marked, and their guardian, whose other child is in 4B, left 5C.
    leaver = Pupil.objects.get(ref="P0029")
    assert leaver.left_on is not None
    assert not Enrolment.objects.current().filter(pupil=leaver).exists()
    assert "G0014" not in class_members(school, "5C")


def test_a_guardian_removed_from_a_pupil_leaves_the_class_group(school: School, admin: User) -> None:
    rows = roster_rows(count=4)
    import_roster(school, as_csv(rows), actor=admin)
    assert "H0000" not in class_members(school, "1A")
    # Give H0000 parental responsibility: they join the class group.
    changed = [[*r[:9], "yes"] if r[5] == "H0000" else r for r in rows]
    report = import_roster(school, as_csv(changed), actor=admin)
    assert report.counts["link.updated"] == 1
    assert "H0000" in class_members(school, "1A")
    # Drop the row: the guardianship is removed and the class group follows.
    dropped = [r for r in changed if r[5] != "H0000"]
    import_roster(school, as_csv(dropped), actor=admin)
    assert "H0000" not in class_members(school, "1A")


def test_bad_lines_are_named_by_their_line_in_the_file(school: School) -> None:
    """A quoted cell spanning two lines does not shift the numbers of the lines after it."""
    rows = roster_rows(count=4)
    rows[0][8] = "step-\nparent"     # line 2, continued on line 3
    rows[2][3] = "2016-02-30"         # starts on line 5
    text = as_csv(rows)
    assert text.splitlines()[4].startswith("P0001,")
    with pytest.raises(RosterRejected) as rejected:
        import_roster(school, text)
    assert rejected.value.errors == [
        "Line 5: the date of birth “2016-02-30” is not a date: write it as 2016-03-14 or "
        "14-03-2016."]
    assert not Pupil.objects.exists()


def test_inconsistent_rows_for_one_pupil_are_rejected(school: School) -> None:
    rows = roster_rows(count=4)
    rows[1][4] = "9Z"  # P0000's second row puts the pupil in another class
    with pytest.raises(RosterRejected) as rejected:
        import_roster(school, as_csv(rows))
    assert rejected.value.errors == ["Line 3: pupil P0000 has other details than on line 2."]


def test_a_wrong_header_is_rejected(school: School) -> None:
    with pytest.raises(RosterRejected) as rejected:
        import_roster(school, as_csv(roster_rows(count=2), header=list(reversed(COLUMNS))))
    assert rejected.value.errors == [
        "Line 1: The first line must name the columns " + ", ".join(COLUMNS) + ", in this order."]


def test_every_change_of_an_import_has_its_own_archive_record(school: School, admin: User) -> None:
    """Written in batches, recorded one change at a time, as the admin's pages would."""
    from collections import Counter

    from archive.models import Record

    rows = roster_rows(count=30)
    import_roster(school, as_csv(rows), actor=admin)
    scope = f"school:{school.pk}"
    kinds = Counter(Record.objects.filter(scope=scope).values_list("kind", flat=True))
    guardians = {row[5] for row in rows}
    assert kinds == Counter({"admin.class_created": 15, "admin.pupil_created": 30,
                             "admin.pupil_enrolled": 30, "admin.account_created": len(guardians),
                             "admin.guardianship_added": len(rows), "admin.roster_imported": 1})
    pupil = Pupil.objects.get(school=school, ref="P0004")
    guardian = User.objects.get(school=school, ref="H0004")
    link = Guardianship.objects.get(pupil=pupil, guardian=guardian)
    # P0004 has two guardians (G0002 and H0004): H0004's link.
    added = Record.objects.get(scope=scope, kind="admin.guardianship_added",
                               subject_pupil_ids=[pupil.pk], subject_user_ids=[guardian.pk])
    content = dict(added.payload.content)
    content.pop("salt")
    assert content == {"guardianship": link.pk, "guardian": guardian.pk, "pupil": pupil.pk,
                       "relationship": "grandparent", "parental_responsibility": False,
                       "no_contact": False}
    assert added.actor_id == admin.pk
    # Next year: one admin.pupil_moved per pupil, naming the class left.
    import_roster(school, as_csv(roster_rows(year_offset=1, count=30)), actor=admin)
    moved = Record.objects.filter(scope=scope, kind="admin.pupil_moved")
    assert moved.count() == 30
    first = next(r for r in moved if r.subject_pupil_ids == [pupil.pk])
    classes = dict(SchoolClass.objects.filter(school=school).values_list("name", "pk"))
    assert first.payload.content["from"] == [classes["5B"]]
    assert first.payload.content["school_class"] == classes["6B"]
