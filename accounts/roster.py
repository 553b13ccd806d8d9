"""Roster import: the school's pupil and guardian list as a UTF-8 CSV.

The whole file is validated first; a file with any bad line is rejected whole, naming every
bad line, and nothing is applied. A good file is applied in one transaction. Re-importing
the same file changes nothing. A dry run applies the file inside a transaction that is then
rolled back, so its report is exactly what a real import would do.

Every change goes through the same actions as the school admin's pages (a new pupil, a new
guardian's account, an enrolment, a guardianship, a leaver), so the archive's trail of an
import is the one the pages would leave, plus one ``admin.roster_imported`` record.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

import archive
from accounts.actions.classes import create_class, roster_changed
from accounts.actions.enrolment import enrol, remove_guardianship, set_guardianship
from accounts.actions.leavers import pupil_leaves
from accounts.actions.people import change_person, change_pupil, create_account, create_pupil
from accounts.models import (
    Enrolment,
    Guardianship,
    Pupil,
    Role,
    School,
    SchoolClass,
    User,
)
from accounts.rules import operator_managed
from archive import scopes

COLUMNS = [
    "pupil_ref", "pupil_first_name", "pupil_last_name", "date_of_birth", "class",
    "guardian_ref", "guardian_name", "guardian_email", "relationship",
    "parental_responsibility",
]
REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
YES_NO = {"yes": True, "no": False}


class RosterRejected(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class PupilRow:
    ref: str
    first_name: str
    last_name: str
    date_of_birth: date | None
    class_name: str
    line: int


@dataclass
class GuardianRow:
    ref: str
    name: str
    email: str


@dataclass
class LinkRow:
    pupil_ref: str
    guardian_ref: str
    relationship: str
    parental_responsibility: bool


@dataclass
class Roster:
    pupils: dict[str, PupilRow] = field(default_factory=dict)
    guardians: dict[str, GuardianRow] = field(default_factory=dict)
    links: dict[tuple[str, str], LinkRow] = field(default_factory=dict)


@dataclass
class Report:
    counts: Counter[str] = field(default_factory=Counter)
    changes: list[str] = field(default_factory=list)
    dry_run: bool = False

    def add(self, key: str, change: str | None = None) -> None:
        self.counts[key] += 1
        if change:
            self.changes.append(change)

    def summary(self) -> str:
        c = self.counts
        return (
            f"pupils: {c['pupil.created']} created, {c['pupil.updated']} updated, "
            f"{c['pupil.unchanged']} unchanged, {c['pupil.left']} left; "
            f"guardians: {c['guardian.created']} created, {c['guardian.updated']} updated, "
            f"{c['guardian.unchanged']} unchanged; "
            f"guardianships: {c['link.created']} created, {c['link.updated']} updated, "
            f"{c['link.removed']} removed; "
            f"enrolments: {c['enrolment.created']} started, {c['enrolment.moved']} moved"
        )

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def parse(text: str) -> Roster:
    """Validate the whole file; raise :class:`RosterRejected` listing every bad line."""
    errors: list[str] = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != COLUMNS:
        raise RosterRejected([f"line 1: the header must be exactly {','.join(COLUMNS)}"])
    roster = Roster()
    # Lines are the file's physical lines, as an editor shows them: a quoted cell may span
    # several, so a row is named by the line it starts on.
    end = reader.line_num
    for raw in reader:
        number, end = end + 1, reader.line_num
        if not any(cell.strip() for cell in raw):
            continue
        problems = _check_row(raw, number, roster)
        errors.extend(f"line {number}: {problem}" for problem in problems)
    if not roster.pupils and not errors:
        errors.append("line 2: the file has no pupils")
    if errors:
        raise RosterRejected(errors)
    return roster


def _check_row(raw: list[str], number: int, roster: Roster) -> list[str]:
    if len(raw) != len(COLUMNS):
        return [f"expected {len(COLUMNS)} columns, found {len(raw)}"]
    row = dict(zip(COLUMNS, (cell.strip() for cell in raw), strict=True))
    problems: list[str] = []
    if not REF.match(row["pupil_ref"]):
        problems.append("pupil_ref must be 1-64 letters, digits, '.', '_' or '-'")
    for column in ("pupil_first_name", "pupil_last_name", "class"):
        if not row[column]:
            problems.append(f"{column} is empty")
    if len(row["class"]) > 50:
        problems.append("class is longer than 50 characters")
    born: date | None = None
    if row["date_of_birth"]:
        try:
            born = date.fromisoformat(row["date_of_birth"])
        except ValueError:
            problems.append(f"date_of_birth {row['date_of_birth']!r} is not a date (YYYY-MM-DD)")
    responsibility = YES_NO.get(row["parental_responsibility"].lower())
    has_guardian = bool(row["guardian_ref"])
    if has_guardian:
        if not REF.match(row["guardian_ref"]):
            problems.append("guardian_ref must be 1-64 letters, digits, '.', '_' or '-'")
        if not row["guardian_name"]:
            problems.append("guardian_name is empty")
        if row["guardian_email"]:
            try:
                validate_email(row["guardian_email"])
            except ValidationError:
                problems.append(f"guardian_email {row['guardian_email']!r} is not an e-mail address")
        if responsibility is None:
            problems.append("parental_responsibility must be yes or no")
    elif any(row[c] for c in ("guardian_name", "guardian_email", "relationship")):
        problems.append("guardian details without a guardian_ref")
    if problems:
        return problems
    pupil = PupilRow(row["pupil_ref"], row["pupil_first_name"], row["pupil_last_name"], born,
                     row["class"], number)
    known = roster.pupils.get(pupil.ref)
    if known is None:
        roster.pupils[pupil.ref] = pupil
    elif (known.first_name, known.last_name, known.date_of_birth, known.class_name) != (
        pupil.first_name, pupil.last_name, pupil.date_of_birth, pupil.class_name
    ):
        problems.append(f"pupil {pupil.ref} differs from line {known.line}")
    if has_guardian:
        guardian = GuardianRow(row["guardian_ref"], row["guardian_name"], row["guardian_email"])
        seen = roster.guardians.setdefault(guardian.ref, guardian)
        if seen != guardian:
            problems.append(f"guardian {guardian.ref} has another name or e-mail on an earlier line")
        key = (pupil.ref, guardian.ref)
        if key in roster.links:
            problems.append(f"guardian {guardian.ref} is listed twice for pupil {pupil.ref}")
        roster.links[key] = LinkRow(pupil.ref, guardian.ref, row["relationship"],
                                    bool(responsibility))
    return problems


def import_roster(school: School, text: str, *, actor: User | None = None,
                  dry_run: bool = False) -> Report:
    """Validate, then apply the roster in one transaction. Raises RosterRejected."""
    roster = parse(text)
    report = Report(dry_run=dry_run)
    with transaction.atomic():
        _apply(school, roster, report, actor)
        archive.record(
            "admin.roster_imported", scope=scopes.school(school.pk), actor=actor,
            subjects=[actor] if actor is not None else [],
            payload={"counts": dict(report.counts), "changes": len(report.changes)},
        )
        if dry_run:
            transaction.set_rollback(True)
    return report


def _apply(school: School, roster: Roster, report: Report, actor: User | None) -> None:
    today = timezone.localdate()
    classes = {c.name: c for c in SchoolClass.objects.filter(school=school)}
    pupils = {p.ref: p for p in Pupil.objects.filter(school=school)}
    guardians = {u.ref: u for u in User.objects.filter(school=school).exclude(ref="")}
    # The roster makes and updates parents only: never the DPO's or safeguarding lead's account.
    theirs = sorted(ref for ref, user in guardians.items()
                    if ref in roster.guardians and operator_managed(user))
    if theirs:
        raise RosterRejected([f"guardian_ref {ref} belongs to an account the operator manages"
                              for ref in theirs])
    touched: dict[int, SchoolClass] = {}

    for name in sorted({p.class_name for p in roster.pupils.values()} - set(classes)):
        classes[name] = create_class(school, name, actor=actor)
        report.add("class.created", f"new class {name}")

    current: dict[int, list[Enrolment]] = {}
    # The rows still open (what enrol() closes), leave dates aside: the roster decides those.
    for enrolment in Enrolment.objects.open_on().filter(
        pupil__school=school
    ).select_related("school_class"):
        current.setdefault(enrolment.pupil_id, []).append(enrolment)

    for row in roster.pupils.values():
        pupil = pupils.get(row.ref)
        wanted = {"first_name": row.first_name, "last_name": row.last_name,
                  "date_of_birth": row.date_of_birth}
        if pupil is None:
            pupil = create_pupil(school, actor=actor, ref=row.ref, first_name=row.first_name,
                                 last_name=row.last_name, date_of_birth=row.date_of_birth)
            pupils[row.ref] = pupil
            report.add("pupil.created", f"new pupil {row.ref} {row.first_name} {row.last_name}")
        else:
            changes: dict[str, object] = {k: v for k, v in wanted.items() if getattr(pupil, k) != v}
            if pupil.left_on is not None:
                changes["left_on"] = None
            diff = list(changes)
            if diff:
                change_pupil(pupil, changes, actor=actor)
                report.add("pupil.updated", f"pupil {row.ref}: {', '.join(diff)} changed")
            else:
                report.add("pupil.unchanged")
        school_class = classes[row.class_name]
        enrolments = current.get(pupil.pk, [])
        if not any(e.school_class_id == school_class.pk for e in enrolments) or len(enrolments) > 1:
            if enrolments:
                moved_from = ", ".join(e.school_class.name for e in enrolments)
                report.add("enrolment.moved", f"pupil {row.ref} moves {moved_from} -> {row.class_name}")
            else:
                report.add("enrolment.created", f"pupil {row.ref} joins {row.class_name}")
            for e in enrolments:
                touched[e.school_class_id] = e.school_class
            enrol(pupil, school_class, actor=actor, starts_on=today, sync=False)
            touched[school_class.pk] = school_class

    for grow in roster.guardians.values():
        user = guardians.get(grow.ref)
        if user is None:
            user = create_account(school, actor=actor,
                                  username=f"{school.slug}-{grow.ref}".lower()[:150],
                                  display_name=grow.name, role=Role.PARENT, email=grow.email,
                                  ref=grow.ref)
            guardians[grow.ref] = user
            report.add("guardian.created", f"new guardian {grow.ref} {grow.name}")
        elif (user.display_name, user.email) != (grow.name, grow.email):
            change_person(user, {"display_name": grow.name, "email": grow.email}, actor=actor)
            report.add("guardian.updated", f"guardian {grow.ref}: name or e-mail changed")
        else:
            report.add("guardian.unchanged")

    links = {
        (g.pupil.ref, g.guardian.ref): g
        for g in Guardianship.objects.filter(pupil__school=school).select_related("pupil", "guardian")
    }
    for key, link in roster.links.items():
        pupil = pupils[link.pupil_ref]
        existing = links.get(key)
        wanted_link = (link.relationship, link.parental_responsibility)
        if existing is not None and (existing.relationship,
                                     existing.parental_responsibility) == wanted_link:
            continue
        set_guardianship(guardians[link.guardian_ref], pupil, actor=actor,
                         relationship=link.relationship,
                         parental_responsibility=link.parental_responsibility,
                         no_contact=existing.no_contact if existing is not None else False,
                         sync=False)
        verb = "created" if existing is None else "updated"
        report.add(f"link.{verb}", f"guardian {link.guardian_ref} of pupil {link.pupil_ref} {verb}")
        for e in current.get(pupil.pk, []):
            touched[e.school_class_id] = e.school_class
        touched[classes[roster.pupils[link.pupil_ref].class_name].pk] = classes[
            roster.pupils[link.pupil_ref].class_name]
    for key, guardianship in links.items():
        # Only guardians the roster knows (with a ref) are managed by it; hand-made links stay.
        if key[0] in roster.pupils and key[1] and key not in roster.links:
            remove_guardianship(guardianship, actor=actor, sync=False)
            report.add("link.removed", f"guardian {key[1]} no longer listed for pupil {key[0]}")
            for e in current.get(guardianship.pupil_id, []):
                touched[e.school_class_id] = e.school_class

    for ref, pupil in pupils.items():
        if ref in roster.pupils or pupil.pk not in current:
            continue
        report.add("pupil.left", f"pupil {ref} {pupil.first_name} {pupil.last_name} leaves")
        for e in current[pupil.pk]:
            touched[e.school_class_id] = e.school_class
        pupil_leaves(pupil, actor=actor, sync=False)

    roster_changed(touched.values(), actor=actor)
