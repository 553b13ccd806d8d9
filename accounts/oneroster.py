"""OneRoster 1.2 CSV: read and check a rostering zip as the 1EdTech CSV binding writes it.

The zip holds ``manifest.csv`` (``propertyName,value``: ``oneroster.version`` 1.2, 1.2.0 or
1.2.1, and ``file.<name>`` bulk, delta or absent) and the rostering files this module reads, in
the binding's import order: ``orgs``, ``academicSessions``, ``courses``, ``classes``, ``users``,
``roles``, ``enrollments``, ``demographics`` (the others, such as gradebook files, are ignored).
Each file's header is exact and in order; extension columns may follow at the right. Files are
UTF-8, with or without a byte-order mark. ``users.csv`` of 1.2.0 (with ``resourceSourcedIds``)
and of 1.2.1 (without) are both read. A 1.1 file (``role`` and ``orgSourcedIds`` still in
``users.csv``) is refused with a sentence that says so.

Bulk files (the manifest says ``bulk``) leave ``status`` and ``dateLastModified`` blank and are
a full snapshot; delta files carry ``active`` or ``tobedeleted`` and a ``dateLastModified`` on
every row. Every rostering file of one zip is bulk, or every one is delta.

Everything is checked before anything is used: a bad file is refused whole with every bad line
named by its file and line (:class:`accounts.roster.RosterRejected`). Bad input never costs
unbounded memory or time: the zip's members, their uncompressed size and each file's rows are
capped, and a member whose path climbs out of the zip (``..``) or is absolute is refused.
Applying a checked file is :mod:`accounts.oneroster_import`'s job.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from accounts.roster import RosterRejected

# Caps on what a zip may cost to read (zip bombs, endless files).
MAX_ZIP_BYTES = 20 * 1024 * 1024
MAX_MEMBERS = 40
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_ROWS = 100_000

COMMON = ["sourcedId", "status", "dateLastModified"]
MANIFEST = ["propertyName", "value"]
USERS_START = [
    *COMMON, "enabledUser", "username", "userIds", "givenName", "familyName", "middleName",
    "identifier", "email", "sms", "phone", "agentSourcedIds", "grades", "password",
    "userMasterIdentifier"]
USERS_END = ["preferredGivenName", "preferredMiddleName", "preferredFamilyName",
             "primaryOrgSourcedId", "pronouns"]
USERS_1_2_0 = [*USERS_START, "resourceSourcedIds", *USERS_END]
USERS_1_2_1 = [*USERS_START, *USERS_END]
HEADERS: dict[str, list[str]] = {
    "orgs": [*COMMON, "name", "type", "identifier", "parentSourcedId"],
    "academicSessions": [*COMMON, "title", "type", "startDate", "endDate", "parentSourcedId",
                         "schoolYear"],
    "courses": [*COMMON, "schoolYearSourcedId", "title", "courseCode", "grades", "orgSourcedId",
                "subjects", "subjectCodes"],
    "classes": [*COMMON, "title", "grades", "courseSourcedId", "classCode", "classType",
                "location", "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes",
                "periods"],
    "users": USERS_1_2_1,
    "roles": [*COMMON, "userSourcedId", "roleType", "role", "beginDate", "endDate",
              "orgSourcedId", "userProfileSourcedId"],
    "enrollments": [*COMMON, "classSourcedId", "schoolSourcedId", "userSourcedId", "role",
                    "primary", "beginDate", "endDate"],
    "demographics": [*COMMON, "birthDate", "sex", "americanIndianOrAlaskaNative", "asian",
                     "blackOrAfricanAmerican", "nativeHawaiianOrOtherPacificIslander", "white",
                     "demographicRaceTwoOrMoreRaces", "hispanicOrLatinoEthnicity",
                     "countryOfBirthCode", "stateOfBirthAbbreviation", "cityOfBirth",
                     "publicSchoolResidenceStatus"],
}
# The binding's import order: a file refers only to the ones before it (and users to users).
ORDER = list(HEADERS)
REQUIRED_IN_BULK = ("orgs", "classes", "users", "roles", "enrollments")
VERSIONS = {"1.2", "1.2.0", "1.2.1"}
MODES = {"bulk", "delta", "absent"}

EXTENSION = re.compile(r"^ext:[a-zA-Z0-9.\-_]+$")
ORG_TYPES = {"department", "school", "district", "local", "state", "national"}
SESSION_TYPES = {"gradingPeriod", "semester", "schoolYear", "term"}
CLASS_TYPES = {"homeroom", "scheduled"}
ROLES = {"aide", "counselor", "districtAdministrator", "guardian", "parent", "principal",
         "proctor", "relative", "siteAdministrator", "student", "systemAdministrator", "teacher"}
ENROLMENT_ROLES = {"administrator", "proctor", "student", "teacher"}
GUARDIAN_ROLES = {"parent", "guardian"}
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$")
ACTIVE, GONE = "active", "tobedeleted"


@dataclass(frozen=True)
class Row:
    """What every rostering row has: its id, its status and modification day (blank in bulk
    files), and where it was read."""

    sourced_id: str
    status: str
    modified: date | None
    file: str
    line: int

    @property
    def gone(self) -> bool:
        return self.status == GONE


@dataclass(frozen=True)
class OrUser(Row):
    given_name: str
    family_name: str
    identifier: str
    email: str
    agents: tuple[str, ...]


@dataclass(frozen=True)
class OrClass(Row):
    title: str
    class_type: str

    @property
    def homeroom(self) -> bool:
        return self.class_type == "homeroom"


@dataclass(frozen=True)
class OrRole(Row):
    user: str
    role: str
    org: str


@dataclass(frozen=True)
class OrEnrolment(Row):
    school_class: str
    user: str
    enrolled_as: str  # the enrolment's role: student, teacher, ...


@dataclass
class OneRoster:
    """A checked OneRoster zip, as the import reads it."""

    version: str
    delta: bool
    dated: date
    present: set[str] = field(default_factory=set)
    orgs: dict[str, Row] = field(default_factory=dict)
    classes: dict[str, OrClass] = field(default_factory=dict)
    users: dict[str, OrUser] = field(default_factory=dict)
    roles: list[OrRole] = field(default_factory=list)
    enrolments: list[OrEnrolment] = field(default_factory=list)
    births: dict[str, date | None] = field(default_factory=dict)

    def roles_of(self, user: str) -> set[str]:
        """The roles a user holds in the file (the ones not being deleted)."""
        return {r.role for r in self.roles if r.user == user and not r.gone}

    def gone_roles_of(self, user: str) -> set[str]:
        return {r.role for r in self.roles if r.user == user and r.gone}


@dataclass(frozen=True)
class Known:
    """The sourcedIds the school already has: a delta may refer to them."""

    users: frozenset[str] = frozenset()
    classes: frozenset[str] = frozenset()


def where(file: str, number: int, problem: str) -> str:
    return _("%(file)s, line %(line)d: %(problem)s") % {"file": file, "line": number,
                                                         "problem": problem}


def is_zip(raw: bytes) -> bool:
    """Whether an upload is a zip (its local-file or empty-archive signature)."""
    return raw[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def read(raw: bytes, known: Known | None = None, *, today: date | None = None) -> OneRoster:
    """Check the whole zip; raise :class:`RosterRejected` naming every problem."""
    texts, dated = _members(raw)
    if "manifest.csv" not in texts:
        if "users.csv" in texts and "role" in texts["users.csv"].split("\n", 1)[0].split(","):
            raise RosterRejected([_one_one()])
        raise RosterRejected([_("The zip has no manifest.csv: it is not a OneRoster 1.2 CSV "
                                "file.")])
    version, modes = _manifest(texts["manifest.csv"])
    reader = _Reader(texts, modes, known or Known(), dated if dated else today or date.today())
    reader.roster.version = version
    return reader.run()


def _one_one() -> str:
    return _("This is a OneRoster 1.1 file. Schoolchat reads OneRoster 1.2 only: export the "
             "roster again as OneRoster 1.2 CSV.")


def _members(raw: bytes) -> tuple[dict[str, str], date | None]:
    """The zip's CSV files by name (decoded, capped), and the day the manifest was written."""
    if len(raw) > MAX_ZIP_BYTES:
        raise RosterRejected([_("The zip is larger than %(size)d MB.") % {
            "size": MAX_ZIP_BYTES // (1024 * 1024)}])
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise RosterRejected([_("The file is not a zip that can be read.")]) from None
    if len(infos) > MAX_MEMBERS:
        raise RosterRejected([_("The zip holds more than %(count)d files.") % {
            "count": MAX_MEMBERS}])
    errors: list[str] = []
    for info in infos:
        parts = info.filename.replace("\\", "/").split("/")
        if info.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            errors.append(_("The zip holds a file outside its own folder: %(name)s.") % {
                "name": info.filename})
    if errors:
        raise RosterRejected(errors)
    budget = MAX_UNCOMPRESSED
    texts: dict[str, str] = {}
    dated: date | None = None
    for info in infos:
        name = info.filename.rsplit("/", 1)[-1]
        if info.is_dir() or not name.endswith(".csv"):
            continue
        data = _read_capped(archive, info, budget)
        budget -= len(data)
        try:
            texts[name] = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            errors.append(_("%(file)s is not UTF-8 text.") % {"file": name})
        if name == "manifest.csv" and info.date_time[0] >= 2000:
            dated = date(*info.date_time[:3])
    if errors:
        raise RosterRejected(errors)
    return texts, dated


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """The member's bytes, never more than ``budget`` of them whatever its header claims."""
    too_big = RosterRejected([_("The zip unpacks to more than %(size)d MB.") % {
        "size": MAX_UNCOMPRESSED // (1024 * 1024)}])
    if info.file_size > budget:
        raise too_big
    try:
        with archive.open(info) as member:
            data = member.read(budget + 1)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError,
            EOFError):
        raise RosterRejected([_("%(file)s cannot be unpacked.") % {"file": info.filename}]) from None
    if len(data) > budget:
        raise too_big
    return data


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each row with the line it starts on (a quoted cell may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    end = 0
    try:
        for raw in reader:
            number, end = end + 1, reader.line_num
            yield number, raw
    except csv.Error as exc:
        yield end + 1, ["\x00csv", str(exc)]


def _manifest(text: str) -> tuple[str, dict[str, str]]:
    errors: list[str] = []
    properties: dict[str, str] = {}
    for number, raw in _rows(text):
        if number == 1:
            if raw[:2] != MANIFEST:
                raise RosterRejected([where("manifest.csv", 1, _(
                    "the columns must be propertyName, value."))])
            continue
        if len(raw) < 2 or raw[0] == "\x00csv":
            if any(cell.strip() for cell in raw):
                errors.append(where("manifest.csv", number, _("it is not a property and its "
                                                              "value.")))
            continue
        properties[raw[0].strip()] = raw[1].strip()
    version = properties.get("oneroster.version", "")
    if version.startswith("1.1") or version == "1.0":
        raise RosterRejected([_one_one() if version.startswith("1.1") else _(
            "This is a OneRoster %(version)s file. Schoolchat reads OneRoster 1.2 only.") % {
            "version": version}])
    if version not in VERSIONS:
        errors.append(where("manifest.csv", 1, _(
            "oneroster.version must be 1.2 (or 1.2.0, 1.2.1); it is “%(value)s”.") % {
            "value": version}))
    modes: dict[str, str] = {}
    for name in ORDER:
        mode = properties.get(f"file.{name}", "absent")
        if mode not in MODES:
            errors.append(where("manifest.csv", 1, _(
                "file.%(name)s must be bulk, delta or absent; it is “%(value)s”.") % {
                "name": name, "value": mode}))
        elif mode != "absent":
            modes[name] = mode
    if len(set(modes.values())) > 1:
        errors.append(_("manifest.csv: the rostering files are all bulk or all delta, not "
                        "some of each."))
    if not modes and not errors:
        errors.append(_("manifest.csv: no rostering file is marked bulk or delta."))
    if errors:
        raise RosterRejected(errors)
    return version, modes


class _Reader:
    """Reads the files in import order, collecting every problem before refusing."""

    def __init__(self, texts: dict[str, str], modes: dict[str, str], known: Known,
                 dated: date) -> None:
        self.texts, self.modes, self.known = texts, modes, known
        delta = "delta" in modes.values()
        self.roster = OneRoster(version="", delta=delta, dated=dated, present=set(modes))
        self.errors: list[str] = []
        self.pending_refs: list[tuple[str, int, str, str]] = []  # file, line, kind, id
        self.schools: list[Row] = []
        self.bad_header = False
        # Every sourcedId each file holds, its bad rows included (their own lines say what is
        # wrong with them; what refers to them is not wrong).
        self.ids: dict[str, dict[str, int]] = {}
        self.readers: dict[str, Callable[[str, int, dict[str, str], Row], None]] = {
            "orgs": self._orgs, "academicSessions": self._sessions, "courses": self._courses,
            "classes": self._classes, "users": self._users, "roles": self._roles,
            "enrollments": self._enrollments, "demographics": self._demographics}

    def run(self) -> OneRoster:
        if not self.roster.delta:
            for name in REQUIRED_IN_BULK:
                if name not in self.modes:
                    self.errors.append(_("manifest.csv: a bulk file needs %(file)s.csv.") % {
                        "file": name})
        for name in ORDER:
            if name in self.modes:
                self._file(name)
        if not self.bad_header:  # a file not read (whole) names nothing: references wait
            self._references()
        if not self.errors and not self.roster.delta and not any(
                "student" in self.roster.roles_of(u) for u in self.roster.users):
            self.errors.append(_("roles.csv: the file has no pupils (no student role)."))
        if self.errors:
            raise RosterRejected(self.errors)
        return self.roster

    def fail(self, file: str, number: int, problem: str) -> None:
        self.errors.append(where(file, number, problem))

    def _file(self, name: str) -> None:
        file = f"{name}.csv"
        text = self.texts.get(file)
        if text is None:
            self.errors.append(_("%(file)s is marked %(mode)s in manifest.csv but is not in "
                                 "the zip.") % {"file": file, "mode": self.modes[name]})
            return
        rows = _rows(text)
        first = next(rows, None)
        header = first[1] if first else []
        columns = self._header(name, file, header)
        if columns is None:
            return
        seen = self.ids.setdefault(name, {})
        count = 0
        for number, raw in rows:
            if not any(cell.strip() for cell in raw):
                continue
            count += 1
            if count > MAX_ROWS:
                self.fail(file, number, _("the file has more than %(count)d rows.") % {
                    "count": MAX_ROWS})
                self.bad_header = True  # not read to its end: its references are not checked
                return
            if raw and raw[0] == "\x00csv":
                self.fail(file, number, _("the line cannot be read as CSV."))
                return
            if len(raw) < len(columns):
                self.fail(file, number, _("it has %(found)d columns instead of %(expected)d.")
                          % {"found": len(raw), "expected": len(columns)})
                continue
            row = dict(zip(columns, (cell.strip() for cell in raw), strict=False))
            common = self._common(file, number, row, seen)
            if common is not None:
                self.readers[name](file, number, row, common)

    def _header(self, name: str, file: str, header: list[str]) -> list[str] | None:
        got = [h.strip() for h in header]
        if name == "users":
            if "role" in got and "orgSourcedIds" in got:
                raise RosterRejected([_one_one()])
            for expected, version in ((USERS_1_2_1, "1.2.1"), (USERS_1_2_0, "1.2.0")):
                if got[:len(expected)] == expected:
                    self.roster.version = version
                    return expected
            expected = USERS_1_2_1
        else:
            expected = HEADERS[name]
            if got[:len(expected)] == expected:
                return expected
        wrong = next((i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b),
                     len(got))
        problem = _("the columns must be %(columns)s, in this order (more may follow at the "
                    "right).") % {"columns": ", ".join(expected)}
        if wrong < len(got):
            problem += " " + _("Column %(number)d is “%(found)s” instead of “%(expected)s”.") % {
                "number": wrong + 1, "found": got[wrong], "expected": expected[wrong]}
        else:
            problem += " " + _("Missing: %(names)s.") % {"names": ", ".join(expected[wrong:])}
        self.fail(file, 1, problem)
        self.bad_header = True
        return None

    def _common(self, file: str, number: int, row: dict[str, str],
                seen: dict[str, int]) -> Row | None:
        problems: list[str] = []
        sourced_id, status, modified = row["sourcedId"], row["status"], row["dateLastModified"]
        day: date | None = None
        if not sourced_id:
            problems.append(_("sourcedId is empty."))
        elif len(sourced_id) > 255:
            problems.append(_("sourcedId is longer than 255 characters."))
        elif sourced_id in seen:
            problems.append(_("sourcedId %(id)s is also on line %(line)d.") % {
                "id": sourced_id, "line": seen[sourced_id]})
        else:
            seen[sourced_id] = number
        if self.roster.delta:
            if status not in (ACTIVE, GONE):
                problems.append(_("status must be active or tobedeleted in a delta file."))
            day = _moment(modified)
            if day is None:
                problems.append(_("dateLastModified “%(value)s” is not a date and time such as "
                                  "2026-03-14T08:00:00Z.") % {"value": modified})
        elif status or modified:
            problems.append(_("status and dateLastModified must be empty in a bulk file."))
        for problem in problems:
            self.fail(file, number, problem)
        if problems:
            return None
        return Row(sourced_id, status, day, file, number)

    def _day(self, file: str, number: int, row: dict[str, str], column: str, *,
             required: bool = False) -> date | None:
        value = row[column]
        if not value and not required:
            return None
        parsed = _date(value)
        if parsed is None:
            self.fail(file, number, _("%(column)s “%(value)s” is not a date such as "
                                      "2026-03-14.") % {"column": column, "value": value})
        return parsed

    def _required(self, file: str, number: int, row: dict[str, str], *columns: str) -> bool:
        missing = [c for c in columns if not row[c]]
        for column in missing:
            self.fail(file, number, _("%(column)s is empty.") % {"column": column})
        return not missing

    def _choice(self, file: str, number: int, row: dict[str, str], column: str,
                allowed: set[str]) -> bool:
        value = row[column]
        if value in allowed or EXTENSION.match(value):
            return True
        self.fail(file, number, _("%(column)s “%(value)s” is not one of %(allowed)s (or an "
                                  "ext: value).") % {"column": column, "value": value,
                                                     "allowed": ", ".join(sorted(allowed))})
        return False

    def _refer(self, file: str, number: int, kind: str, target: str) -> None:
        self.pending_refs.append((file, number, kind, target))

    def _orgs(self, file: str, number: int, row: dict[str, str], common: Row) -> None:
        if self._required(file, number, row, "name", "type") and self._choice(
                file, number, row, "type", ORG_TYPES):
            self.roster.orgs[common.sourced_id] = common
            if row["type"] == "school":
                self.schools.append(common)
        if row["parentSourcedId"]:
            self._refer(file, number, "org", row["parentSourcedId"])

    def _sessions(self, file: str, number: int, row: dict[str, str], common: Row) -> None:
        self._required(file, number, row, "title", "type", "startDate", "endDate", "schoolYear")
        if row["type"]:
            self._choice(file, number, row, "type", SESSION_TYPES)
        for column in ("startDate", "endDate"):
            self._day(file, number, row, column)
        if row["schoolYear"] and not re.fullmatch(r"\d{4}", row["schoolYear"]):
            self.fail(file, number, _("schoolYear “%(value)s” is not a year such as 2026.") % {
                "value": row["schoolYear"]})

    def _courses(self, file: str, number: int, row: dict[str, str], common: Row) -> None:
        if self._required(file, number, row, "title", "orgSourcedId"):
            self._refer(file, number, "org", row["orgSourcedId"])

    def _classes(self, file: str, number: int, row: dict[str, str], common: Row) -> None:
        if not self._required(file, number, row, "title", "classType", "courseSourcedId",
                              "schoolSourcedId", "termSourcedIds"):
            return
        if not self._choice(file, number, row, "classType", CLASS_TYPES):
            return
        self._refer(file, number, "org", row["schoolSourcedId"])
        self._refer(file, number, "course", row["courseSourcedId"])
        for term in _list(row["termSourcedIds"]):
            self._refer(file, number, "session", term)
        self.roster.classes[common.sourced_id] = OrClass(
            *_fields(common), title=row["title"], class_type=row["classType"])

    def _users(self, file: str, number: int, row: dict[str, str], common: Row) -> None:
        ok = self._required(file, number, row, "enabledUser", "username", "givenName",
                            "familyName")
        if row["enabledUser"] and row["enabledUser"] not in ("true", "false"):
            self.fail(file, number, _("enabledUser must be true or false."))
            ok = False
        if row["email"]:
            try:
                validate_email(row["email"])
            except ValidationError:
                self.fail(file, number, _("“%(value)s” is not an e-mail address.") % {
                    "value": row["email"]})
                ok = False
        agents = tuple(_list(row["agentSourcedIds"]))
        for agent in agents:
            self._refer(file, number, "user", agent)
        if ok:
            self.roster.users[common.sourced_id] = OrUser(
                *_fields(common), given_name=row["givenName"][:150],
                family_name=row["familyName"][:150], identifier=row["identifier"],
                email=row["email"], agents=agents)

    def _roles(self, file: str, number: int, row: dict[str, str], common: Row) -> None:
        ok = self._required(file, number, row, "userSourcedId", "roleType", "role",
                            "orgSourcedId")
        if row["roleType"] and row["roleType"] not in ("primary", "secondary"):
            self.fail(file, number, _("roleType must be primary or secondary."))
            ok = False
        if row["role"] and not self._choice(file, number, row, "role", ROLES):
            ok = False
        self._day(file, number, row, "beginDate")
        self._day(file, number, row, "endDate")
        if row["userSourcedId"]:
            self._refer(file, number, "user", row["userSourcedId"])
        if row["orgSourcedId"]:
            self._refer(file, number, "org", row["orgSourcedId"])
        if ok:
            self.roster.roles.append(OrRole(*_fields(common), user=row["userSourcedId"],
                                            role=row["role"], org=row["orgSourcedId"]))

    def _enrollments(self, file: str, number: int, row: dict[str, str], common: Row) -> None:
        ok = self._required(file, number, row, "classSourcedId", "schoolSourcedId",
                            "userSourcedId", "role")
        if row["role"] and not self._choice(file, number, row, "role", ENROLMENT_ROLES):
            ok = False
        if row["primary"] and row["primary"] not in ("true", "false"):
            self.fail(file, number, _("primary must be true or false."))
        self._day(file, number, row, "beginDate")
        self._day(file, number, row, "endDate")
        for column, kind in (("classSourcedId", "class"), ("userSourcedId", "user"),
                             ("schoolSourcedId", "org")):
            if row[column]:
                self._refer(file, number, kind, row[column])
        if ok:
            self.roster.enrolments.append(OrEnrolment(
                *_fields(common), school_class=row["classSourcedId"], user=row["userSourcedId"],
                enrolled_as=row["role"]))

    def _demographics(self, file: str, number: int, row: dict[str, str], common: Row) -> None:
        born = self._day(file, number, row, "birthDate")
        self._refer(file, number, "user", common.sourced_id)
        if not common.gone:
            self.roster.births[common.sourced_id] = born

    def _references(self) -> None:
        """Every id a row names must be in the file (or, for a delta, known already)."""
        roster = self.roster
        def ids(name: str) -> set[str]:
            return set(self.ids.get(name, {}))

        targets: dict[str, set[str] | frozenset[str]] = {
            "user": ids("users") | self.known.users,
            "class": ids("classes") | self.known.classes,
            "org": ids("orgs"), "course": ids("courses"), "session": ids("academicSessions"),
        }
        # What a delta (or a bulk file without the optional files) does not carry cannot be
        # checked: orgs, courses and sessions are then taken on trust.
        checked = {"user", "class"}
        for kind, name in (("org", "orgs"), ("course", "courses"), ("session", "academicSessions")):
            if not roster.delta and name in self.modes:
                checked.add(kind)
        names = {"user": "users.csv", "class": "classes.csv", "org": "orgs.csv",
                 "course": "courses.csv", "session": "academicSessions.csv"}
        for file, number, kind, target in self.pending_refs:
            if kind in checked and target not in targets[kind]:
                self.fail(file, number, _("%(id)s is not in %(file)s.") % {
                    "id": target, "file": names[kind]})
        schools = self.schools
        if not roster.delta and len(schools) != 1:
            self.errors.append(_("orgs.csv: a file for Schoolchat holds exactly one org of type "
                                 "school; this one has %(count)d.") % {"count": len(schools)})


def _fields(common: Row) -> tuple[str, str, date | None, str, int]:
    return (common.sourced_id, common.status, common.modified, common.file, common.line)


def _list(value: str) -> Iterable[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _date(value: str) -> date | None:
    if not DAY.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _moment(value: str) -> date | None:
    if not MOMENT.match(value):
        return None
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        return None
