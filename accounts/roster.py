"""Roster import: the school's pupil and guardian list as a CSV file.

The columns are separated by commas or by semicolons (what Excel writes where the decimal
separator is a comma, as in Dutch): the header line says which. The file is UTF-8 (with or
without Excel's byte-order mark) or, failing that, Windows' Western European encoding
(cp1252, a superset of Latin-1), which Excel's plain "CSV" uses. Dates are 2016-03-14 or,
day first, 14-03-2016 (also 14/03/2016 or 14.03.2016); yes and no may be written in any of
the installation's languages. Every message is a sentence in the reader's language.

The whole file is validated first; a file with any bad line is rejected whole, naming every
bad line, and nothing is applied. A good file is applied in one transaction. Re-importing
the same file changes nothing. A dry run applies the file inside a transaction that is then
rolled back, so its report is exactly what a real import would do.

Every change goes through the same actions as the school admin's pages (a new pupil, a new
guardian's account, an enrolment, a guardianship, a leaver), the new ones in their
many-at-once forms (written in batches, still one archive record per change), so the
archive's trail of an import is the one the pages would leave, plus one
``admin.roster_imported`` record. The admin's page has the worker apply the file
(:mod:`accounts.actions.roster_imports`).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from accounts.actions.classes import create_classes, roster_changed
from accounts.actions.enrolment import enrol_many, remove_guardianship, set_guardianships
from accounts.actions.leavers import pupil_leaves
from accounts.actions.people import change_person, change_pupil, create_accounts, create_pupils
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
from archive import chain, scopes

COLUMNS = [
    "pupil_ref", "pupil_first_name", "pupil_last_name", "date_of_birth", "class",
    "guardian_ref", "guardian_name", "guardian_email", "relationship",
    "parental_responsibility",
]
# The same columns in the school's language: the template file is written with these, and a
# header in them is read as the English one.
COLUMN_WORDS = {
    "pupil_ref": pgettext_lazy("roster column", "pupil_ref"),
    "pupil_first_name": pgettext_lazy("roster column", "pupil_first_name"),
    "pupil_last_name": pgettext_lazy("roster column", "pupil_last_name"),
    "date_of_birth": pgettext_lazy("roster column", "date_of_birth"),
    "class": pgettext_lazy("roster column", "class"),
    "guardian_ref": pgettext_lazy("roster column", "guardian_ref"),
    "guardian_name": pgettext_lazy("roster column", "guardian_name"),
    "guardian_email": pgettext_lazy("roster column", "guardian_email"),
    "relationship": pgettext_lazy("roster column", "relationship"),
    "parental_responsibility": pgettext_lazy("roster column", "parental_responsibility"),
}
# Names whose letters an export could not hold come out as "?" ("Ay?e Y?lmaz", from a
# Windows-1252 export of a Turkish name): no real name has one.
NAME_COLUMNS = ("pupil_first_name", "pupil_last_name", "guardian_name")
REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
YES_NO = {"yes": True, "no": False, "ja": True, "nee": False, "да": True, "нет": False}
DAY_FIRST = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{4})$")
SEMICOLON, COMMA = ";", ","


def decode(raw: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read in: UTF-8 (a byte-order mark dropped),
    else cp1252, else Latin-1 (which reads any bytes; the header check then refuses garbage)."""
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")


def delimiter_of(text: str) -> str:
    """Semicolons or commas, whichever the header line has more of."""
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    return SEMICOLON if header.count(SEMICOLON) > header.count(COMMA) else COMMA


def columns_in(language: str) -> list[str]:
    """The column names in ``language``."""
    with translation.override(language):
        return [str(COLUMN_WORDS[c]) for c in COLUMNS]


def template_csv(language: str) -> str:
    """The template file: the header line in the school's language (semicolons, as Excel
    writes them outside English), with a byte-order mark so Excel opens it as UTF-8."""
    delimiter = COMMA if language.startswith("en") else SEMICOLON
    return "\ufeff" + delimiter.join(columns_in(language)) + "\r\n"


def line(number: int, problem: str) -> str:
    return _("Line %(line)d: %(problem)s") % {"line": number, "problem": problem}


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
    delimiter: str = COMMA
    pupils: dict[str, PupilRow] = field(default_factory=dict)
    guardians: dict[str, GuardianRow] = field(default_factory=dict)
    links: dict[tuple[str, str], LinkRow] = field(default_factory=dict)
    # The file's lines (rows) of each pupil, for progress counted in lines.
    lines_of: Counter[str] = field(default_factory=Counter)
    # Lines with a name that has a "?" where a letter was lost (NAME_COLUMNS), and one such name.
    lost_lines: list[int] = field(default_factory=list)
    lost_example: str = ""

    @property
    def lines(self) -> int:
        return sum(self.lines_of.values())


@dataclass
class Report:
    counts: Counter[str] = field(default_factory=Counter)
    changes: list[str] = field(default_factory=list)
    dry_run: bool = False
    delimiter: str = COMMA
    encoding: str = "utf-8"
    lost_lines: list[int] = field(default_factory=list)
    lost_example: str = ""

    def add(self, key: str, change: str | None = None) -> None:
        self.counts[key] += 1
        if change:
            self.changes.append(change)

    def summary(self) -> str:
        c = self.counts
        return " ".join([
            _("Pupils: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
              "%(left)d leaving.") % {"created": c["pupil.created"], "updated": c["pupil.updated"],
                                      "unchanged": c["pupil.unchanged"], "left": c["pupil.left"]},
            _("Guardians: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
            % {"created": c["guardian.created"], "updated": c["guardian.updated"],
               "unchanged": c["guardian.unchanged"]},
            _("Guardianships: %(created)d created, %(updated)d updated, %(removed)d removed.")
            % {"created": c["link.created"], "updated": c["link.updated"],
               "removed": c["link.removed"]},
            _("Classes: %(created)d started, %(moved)d moved.") % {
                "created": c["enrolment.created"], "moved": c["enrolment.moved"]},
        ])

    @property
    def separated_by(self) -> str:
        """What the preview says about the file's columns."""
        if self.delimiter == SEMICOLON:
            return _("Columns separated by semicolons.")
        return _("Columns separated by commas.")

    @property
    def read_as(self) -> str:
        """What the preview says about the file's encoding, when it was not UTF-8."""
        if self.encoding == "utf-8-sig" or self.encoding == "utf-8":
            return ""
        return _("Read as Western European (Windows) text, as Excel saves it.")

    @property
    def lost_characters(self) -> str:
        """The preview's warning naming the lines whose names lost letters to "?"."""
        if not self.lost_lines:
            return ""
        return ngettext(
            "Line %(lines)s has a name with “?” where a letter was lost (“%(example)s”): the "
            "file was saved in an encoding that cannot hold it. In Excel, save it as “CSV "
            "UTF-8” and upload it again.",
            "Lines %(lines)s have names with “?” where letters were lost (“%(example)s”): the "
            "file was saved in an encoding that cannot hold them. In Excel, save it as “CSV "
            "UTF-8” and upload it again.", len(self.lost_lines)) % {
            "lines": ", ".join(str(n) for n in self.lost_lines), "example": self.lost_example}

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def header_problem(header: list[str] | None, language: str | None = None) -> str | None:
    """What is wrong with the header line, as a sentence; None when it is right (in English,
    or in ``language``, the school's)."""
    names = [h.strip().lower() for h in header or []]
    while names and not names[-1]:
        names.pop()  # Excel's empty trailing cells
    if names == COLUMNS or (language and names == [c.lower() for c in columns_in(language)]):
        return None
    problem = _("The first line must name the columns %(columns)s, in this order.") % {
        "columns": ", ".join(COLUMNS)}
    missing = [c for c in COLUMNS if c not in names]
    unknown = [n for n in names if n and n not in COLUMNS]
    if missing:
        problem += " " + _("Missing: %(names)s.") % {"names": ", ".join(missing)}
    if unknown:
        problem += " " + _("Not roster columns: %(names)s.") % {"names": ", ".join(unknown)}
    return problem


def parse(text: str, language: str | None = None) -> Roster:
    """Validate the whole file; raise :class:`RosterRejected` listing every bad line. The
    header may name the columns in ``language`` (the school's) too."""
    errors: list[str] = []
    text = text.lstrip("\ufeff")
    delimiter = delimiter_of(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    problem = header_problem(header, language)
    if problem is not None:
        raise RosterRejected([line(1, problem)])
    roster = Roster(delimiter=delimiter)
    # Lines are the file's physical lines, as an editor shows them: a quoted cell may span
    # several, so a row is named by the line it starts on.
    end = reader.line_num
    for raw in reader:
        number, end = end + 1, reader.line_num
        if not any(cell.strip() for cell in raw):
            continue
        problems = _check_row(raw, number, roster)
        errors.extend(line(number, problem) for problem in problems)
        _note_lost_letters(raw, number, roster)
    if not roster.pupils and not errors:
        errors.append(line(2, _("the file has no pupils.")))
    if errors:
        raise RosterRejected(errors)
    return roster


def _note_lost_letters(raw: list[str], number: int, roster: Roster) -> None:
    if len(raw) != len(COLUMNS):
        return
    row = dict(zip(COLUMNS, raw, strict=True))
    lost = [row[c].strip() for c in NAME_COLUMNS if "?" in row[c]]
    if lost:
        roster.lost_lines.append(number)
        roster.lost_example = roster.lost_example or lost[0]


def parse_date(value: str) -> date:
    """2016-03-14, or day first: 14-03-2016, 14/03/2016, 14.03.2016. Raises ValueError."""
    found = DAY_FIRST.match(value)
    if found:
        return date(int(found[4]), int(found[3]), int(found[1]))
    return date.fromisoformat(value)


def _detail(name: str) -> str:
    """A pupil's detail the import changed, as the preview names it."""
    return {"first_name": _("first name"), "last_name": _("last name"),
            "date_of_birth": _("date of birth"), "left_on": _("leave date")}[name]


def _empty(column: str) -> str:
    return {
        "pupil_first_name": _("the pupil's first name (pupil_first_name) is empty."),
        "pupil_last_name": _("the pupil's last name (pupil_last_name) is empty."),
        "class": _("the class (class) is empty."),
    }[column]


def _check_row(raw: list[str], number: int, roster: Roster) -> list[str]:
    if len(raw) != len(COLUMNS):
        return [_("it has %(found)d columns instead of %(expected)d.") % {
            "found": len(raw), "expected": len(COLUMNS)}]
    row = dict(zip(COLUMNS, (cell.strip() for cell in raw), strict=True))
    problems: list[str] = []
    if not REF.match(row["pupil_ref"]):
        problems.append(_("the pupil's reference (pupil_ref) must be 1 to 64 letters, digits, "
                          "full stops, hyphens or underscores."))
    for column in ("pupil_first_name", "pupil_last_name", "class"):
        if not row[column]:
            problems.append(_empty(column))
    if len(row["class"]) > 50:
        problems.append(_("the class name is longer than 50 characters."))
    born: date | None = None
    if row["date_of_birth"]:
        try:
            born = parse_date(row["date_of_birth"])
        except ValueError:
            problems.append(_("the date of birth “%(value)s” is not a date: write it as "
                              "2016-03-14 or 14-03-2016.") % {"value": row["date_of_birth"]})
    responsibility = YES_NO.get(row["parental_responsibility"].lower())
    has_guardian = bool(row["guardian_ref"])
    if has_guardian:
        if not REF.match(row["guardian_ref"]):
            problems.append(_("the guardian's reference (guardian_ref) must be 1 to 64 letters, "
                              "digits, full stops, hyphens or underscores."))
        if not row["guardian_name"]:
            problems.append(_("the guardian's name (guardian_name) is empty."))
        if row["guardian_email"]:
            try:
                validate_email(row["guardian_email"])
            except ValidationError:
                problems.append(_("“%(value)s” is not an e-mail address.")
                                % {"value": row["guardian_email"]})
        if responsibility is None:
            problems.append(_("parental responsibility (parental_responsibility) must be yes "
                              "or no."))
    elif any(row[c] for c in ("guardian_name", "guardian_email", "relationship")):
        problems.append(_("it has a guardian's details but no guardian's reference "
                          "(guardian_ref)."))
    if problems:
        return problems
    roster.lines_of[row["pupil_ref"]] += 1
    pupil = PupilRow(row["pupil_ref"], row["pupil_first_name"], row["pupil_last_name"], born,
                     row["class"], number)
    known = roster.pupils.get(pupil.ref)
    if known is None:
        roster.pupils[pupil.ref] = pupil
    elif (known.first_name, known.last_name, known.date_of_birth, known.class_name) != (
        pupil.first_name, pupil.last_name, pupil.date_of_birth, pupil.class_name
    ):
        problems.append(_("pupil %(ref)s has other details than on line %(line)d.")
                        % {"ref": pupil.ref, "line": known.line})
    if has_guardian:
        guardian = GuardianRow(row["guardian_ref"], row["guardian_name"], row["guardian_email"])
        seen = roster.guardians.setdefault(guardian.ref, guardian)
        if seen != guardian:
            problems.append(_("guardian %(ref)s has another name or e-mail address on an "
                              "earlier line.") % {"ref": guardian.ref})
        key = (pupil.ref, guardian.ref)
        if key in roster.links:
            problems.append(_("guardian %(ref)s is listed twice for pupil %(pupil)s.")
                            % {"ref": guardian.ref, "pupil": pupil.ref})
        roster.links[key] = LinkRow(pupil.ref, guardian.ref, row["relationship"],
                                    bool(responsibility))
    return problems


Progress = Callable[[int, int], None]


def count_lines(text: str) -> int:
    """The rows of a roster file (not its header or empty lines): a job's "of N lines"."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""),
                        delimiter=delimiter_of(text))
    next(reader, None)
    return sum(1 for raw in reader if any(cell.strip() for cell in raw))


def import_roster(school: School, text: str, *, actor: User | None = None,
                  dry_run: bool = False, encoding: str = "utf-8",
                  progress: Progress | None = None) -> Report:
    """Validate, then apply the roster in one transaction. Raises RosterRejected.

    ``progress(done, total)`` is told, in the file's lines, how far the import has come: a
    pupil's lines are done once their class conversation follows the roster (the last and
    longest step). A dry run leaves the class conversations out: it is rolled back, and its
    report does not depend on them."""
    roster = parse(text, school.preferred_language)
    report = Report(dry_run=dry_run, delimiter=roster.delimiter, encoding=encoding,
                    lost_lines=roster.lost_lines, lost_example=roster.lost_example)
    with transaction.atomic():
        _apply(school, roster, report, actor, announce=not dry_run,
               progress=progress or (lambda done, total: None))
        chain.record(
            "admin.roster_imported", scope=scopes.school(school.pk), actor=actor,
            subjects=[actor] if actor is not None else [],
            payload={"counts": dict(report.counts), "changes": len(report.changes)},
        )
        if dry_run:
            transaction.set_rollback(True)
    return report


def _apply(school: School, roster: Roster, report: Report, actor: User | None, *,
           announce: bool, progress: Progress) -> None:
    """Every change the roster asks for, read in a few queries and written in batches through
    the actions' many-at-once forms; the class conversations follow, one class at a time."""
    today = timezone.localdate()
    total = roster.lines
    progress(0, total)
    classes = {c.name: c for c in SchoolClass.objects.filter(school=school)}
    pupils = {p.ref: p for p in Pupil.objects.filter(school=school)}
    guardians = {u.ref: u for u in User.objects.filter(school=school).exclude(ref="")}
    # The roster makes and updates parents only: never the DPO's or safeguarding lead's account.
    theirs = sorted(ref for ref, user in guardians.items()
                    if ref in roster.guardians and operator_managed(user))
    if theirs:
        raise RosterRejected([
            _("Guardian %(ref)s is the reference of an account only the operator manages: "
              "the roster cannot change it.") % {"ref": ref} for ref in theirs])
    touched: dict[int, SchoolClass] = {}

    new_classes = sorted({p.class_name for p in roster.pupils.values()} - set(classes))
    for school_class in create_classes(school, new_classes, actor=actor):
        classes[school_class.name] = school_class
        report.add("class.created", _("New class %(name)s") % {"name": school_class.name})

    current: dict[int, list[Enrolment]] = {}
    # The rows still open (what enrol() closes), leave dates aside: the roster decides those.
    for enrolment in Enrolment.objects.open_on().filter(
        pupil__school=school
    ).select_related("school_class"):
        current.setdefault(enrolment.pupil_id, []).append(enrolment)

    new_pupils = create_pupils(school, [
        Pupil(ref=row.ref, first_name=row.first_name, last_name=row.last_name,
              date_of_birth=row.date_of_birth)
        for row in roster.pupils.values() if row.ref not in pupils], actor=actor)
    pupils.update((pupil.ref, pupil) for pupil in new_pupils)
    fresh = {pupil.ref for pupil in new_pupils}
    placements: list[tuple[Pupil, SchoolClass]] = []
    for row in roster.pupils.values():
        pupil = pupils[row.ref]
        wanted = {"first_name": row.first_name, "last_name": row.last_name,
                  "date_of_birth": row.date_of_birth}
        if row.ref in fresh:
            report.add("pupil.created", _("New pupil %(ref)s %(name)s") % {
                "ref": row.ref, "name": f"{row.first_name} {row.last_name}"})
        else:
            changes: dict[str, object] = {k: v for k, v in wanted.items() if getattr(pupil, k) != v}
            if pupil.left_on is not None:
                changes["left_on"] = None
            diff = list(changes)
            if diff:
                change_pupil(pupil, changes, actor=actor)
                report.add("pupil.updated", _("Pupil %(ref)s: %(fields)s changed") % {
                    "ref": row.ref, "fields": ", ".join(_detail(name) for name in diff)})
            else:
                report.add("pupil.unchanged")
        school_class = classes[row.class_name]
        enrolments = current.get(pupil.pk, [])
        if not any(e.school_class_id == school_class.pk for e in enrolments) or len(enrolments) > 1:
            if enrolments:
                moved_from = ", ".join(e.school_class.name for e in enrolments)
                report.add("enrolment.moved", _("Pupil %(ref)s moves from %(from)s to %(to)s") % {
                    "ref": row.ref, "from": moved_from, "to": row.class_name})
            else:
                report.add("enrolment.created", _("Pupil %(ref)s joins %(class)s") % {
                    "ref": row.ref, "class": row.class_name})
            placements.append((pupil, school_class))
    for school_class in enrol_many(placements, actor=actor, starts_on=today):
        touched[school_class.pk] = school_class

    accounts: list[User] = []
    for grow in roster.guardians.values():
        user = guardians.get(grow.ref)
        if user is None:
            accounts.append(User(username=f"{school.slug}-{grow.ref}".lower()[:150],
                                 display_name=grow.name, role=Role.PARENT, email=grow.email,
                                 ref=grow.ref))
            report.add("guardian.created", _("New guardian %(ref)s %(name)s") % {
                "ref": grow.ref, "name": grow.name})
        elif (user.display_name, user.email) != (grow.name, grow.email):
            change_person(user, {"display_name": grow.name, "email": grow.email}, actor=actor)
            report.add("guardian.updated", _("Guardian %(ref)s: name or e-mail address changed")
                       % {"ref": grow.ref})
        else:
            report.add("guardian.unchanged")
    guardians.update((user.ref, user) for user in create_accounts(school, accounts, actor=actor))

    links = {
        (g.pupil.ref, g.guardian.ref): g
        for g in Guardianship.objects.filter(pupil__school=school).select_related("pupil", "guardian")
    }
    wanted_links: list[Guardianship] = []
    for key, link in roster.links.items():
        pupil = pupils[link.pupil_ref]
        existing = links.get(key)
        wanted_link = (link.relationship, link.parental_responsibility)
        if existing is not None and (existing.relationship,
                                     existing.parental_responsibility) == wanted_link:
            continue
        wanted_links.append(Guardianship(
            guardian=guardians[link.guardian_ref], pupil=pupil, relationship=link.relationship,
            parental_responsibility=link.parental_responsibility,
            no_contact=existing.no_contact if existing is not None else False))
        names = {"guardian": link.guardian_ref, "pupil": link.pupil_ref}
        if existing is None:
            report.add("link.created", _("Guardian %(guardian)s of pupil %(pupil)s added") % names)
        else:
            report.add("link.updated",
                       _("Guardian %(guardian)s of pupil %(pupil)s changed") % names)
        for e in current.get(pupil.pk, []):
            touched[e.school_class_id] = e.school_class
        touched[classes[roster.pupils[link.pupil_ref].class_name].pk] = classes[
            roster.pupils[link.pupil_ref].class_name]
    set_guardianships(wanted_links, actor=actor)
    for key, guardianship in links.items():
        # Only guardians the roster knows (with a ref) are managed by it; hand-made links stay.
        if key[0] in roster.pupils and key[1] and key not in roster.links:
            remove_guardianship(guardianship, actor=actor, sync=False)
            report.add("link.removed", _("Guardian %(guardian)s no longer listed for pupil "
                                         "%(pupil)s") % {"guardian": key[1], "pupil": key[0]})
            for e in current.get(guardianship.pupil_id, []):
                touched[e.school_class_id] = e.school_class

    for ref, pupil in pupils.items():
        if ref in roster.pupils or pupil.pk not in current:
            continue
        report.add("pupil.left", _("Pupil %(ref)s %(name)s leaves") % {
            "ref": ref, "name": f"{pupil.first_name} {pupil.last_name}"})
        for e in current[pupil.pk]:
            touched[e.school_class_id] = e.school_class
        pupil_leaves(pupil, actor=actor, sync=False)

    # The class conversations follow, a class at a time (each once, as one announcement of
    # them all would), so that progress can be told in the lines of each class's pupils.
    lines_in = Counter[int]()
    for ref, row in roster.pupils.items():
        lines_in[classes[row.class_name].pk] += roster.lines_of[ref]
    done = total - sum(lines_in[pk] for pk in touched)
    progress(done, total)
    for pk, school_class in sorted(touched.items()):
        if announce:
            roster_changed([school_class], actor=actor)
        done += lines_in[pk]
        progress(done, total)
