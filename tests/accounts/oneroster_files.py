"""OneRoster 1.2 CSV zips for the tests, written from the binding's column lists.

The lists are the 1EdTech OneRoster 1.2 CSV binding's, written out here on their own (not
imported from ``accounts.oneroster``) so that a mistake in the reader's lists is caught.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

ORGS = ["sourcedId", "status", "dateLastModified", "name", "type", "identifier",
        "parentSourcedId"]
SESSIONS = ["sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
            "parentSourcedId", "schoolYear"]
COURSES = ["sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title",
           "courseCode", "grades", "orgSourcedId", "subjects", "subjectCodes"]
CLASSES = ["sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId",
           "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects",
           "subjectCodes", "periods"]
USERS_1_2_1 = ["sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds",
               "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
               "agentSourcedIds", "grades", "password", "userMasterIdentifier",
               "preferredGivenName", "preferredMiddleName", "preferredFamilyName",
               "primaryOrgSourcedId", "pronouns"]
USERS_1_2_0 = [*USERS_1_2_1[:17], "resourceSourcedIds", *USERS_1_2_1[17:]]
ROLES = ["sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role",
         "beginDate", "endDate", "orgSourcedId", "userProfileSourcedId"]
ENROLLMENTS = ["sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
               "userSourcedId", "role", "primary", "beginDate", "endDate"]
DEMOGRAPHICS = ["sourcedId", "status", "dateLastModified", "birthDate", "sex",
                "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
                "nativeHawaiianOrOtherPacificIslander", "white", "demographicRaceTwoOrMoreRaces",
                "hispanicOrLatinoEthnicity", "countryOfBirthCode", "stateOfBirthAbbreviation",
                "cityOfBirth", "publicSchoolResidenceStatus"]
# users.csv of OneRoster 1.1, with role and orgSourcedIds still in it.
USERS_1_1 = ["sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role",
             "username", "userIds", "givenName", "familyName", "middleName", "identifier",
             "email", "sms", "phone", "agentSourcedIds", "grades", "password"]

COLUMNS = {"orgs": ORGS, "academicSessions": SESSIONS, "courses": COURSES, "classes": CLASSES,
           "users": USERS_1_2_1, "roles": ROLES, "enrollments": ENROLLMENTS,
           "demographics": DEMOGRAPHICS}
SCHOOL_ORG = "org-1"
DELTA_DAY = "2026-11-20T09:30:00Z"


@dataclass
class Pupil:
    sid: str
    given: str
    family: str
    klass: str  # the homeroom class's sourcedId
    born: str = ""
    guardians: Sequence[str] = ()
    identifier: str = ""


@dataclass
class Person:
    sid: str
    given: str
    family: str
    email: str = ""
    role: str = "parent"


@dataclass
class School:
    """A small school as a OneRoster file: classes by sourcedId and title, their teachers."""

    classes: dict[str, str] = field(default_factory=dict)
    teachers: dict[str, Sequence[str]] = field(default_factory=dict)  # class -> teacher sids
    scheduled: dict[str, str] = field(default_factory=dict)
    pupils: list[Pupil] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)


def _csv(header: Sequence[str], rows: Sequence[Mapping[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return out.getvalue()


def bulk_files(school: School) -> dict[str, list[dict[str, str]]]:
    """Every rostering file's rows (status and dateLastModified blank)."""
    users = [{"sourcedId": p.sid, "enabledUser": "true", "username": p.sid, "givenName": p.given,
              "familyName": p.family, "identifier": p.identifier,
              "agentSourcedIds": ",".join(p.guardians)} for p in school.pupils]
    users += [{"sourcedId": p.sid, "enabledUser": "true", "username": p.sid,
               "givenName": p.given, "familyName": p.family, "email": p.email}
              for p in school.people]
    roles = [{"sourcedId": f"role-{u['sourcedId']}", "userSourcedId": u["sourcedId"],
              "roleType": "primary", "orgSourcedId": SCHOOL_ORG,
              "role": "student" if i < len(school.pupils) else school.people[
                  i - len(school.pupils)].role} for i, u in enumerate(users)]
    classes = [{"sourcedId": sid, "title": title, "courseSourcedId": "course-1",
                "classType": "homeroom", "schoolSourcedId": SCHOOL_ORG,
                "termSourcedIds": "year-1"} for sid, title in school.classes.items()]
    classes += [{"sourcedId": sid, "title": title, "courseSourcedId": "course-1",
                 "classType": "scheduled", "schoolSourcedId": SCHOOL_ORG,
                 "termSourcedIds": "year-1"} for sid, title in school.scheduled.items()]
    enrolments = [{"sourcedId": f"enr-{p.sid}", "classSourcedId": p.klass,
                   "schoolSourcedId": SCHOOL_ORG, "userSourcedId": p.sid, "role": "student",
                   "primary": "false"} for p in school.pupils]
    enrolments += [{"sourcedId": f"enr-{t}-{c}", "classSourcedId": c,
                    "schoolSourcedId": SCHOOL_ORG, "userSourcedId": t, "role": "teacher",
                    "primary": "true"} for c, ts in school.teachers.items() for t in ts]
    return {
        "orgs": [{"sourcedId": SCHOOL_ORG, "name": "Test school", "type": "school"}],
        "academicSessions": [{"sourcedId": "year-1", "title": "2026-2027", "type": "schoolYear",
                              "startDate": "2026-08-01", "endDate": "2027-07-31",
                              "schoolYear": "2027"}],
        "courses": [{"sourcedId": "course-1", "title": "Group", "orgSourcedId": SCHOOL_ORG}],
        "classes": classes, "users": users, "roles": roles, "enrollments": enrolments,
        "demographics": [{"sourcedId": p.sid, "birthDate": p.born} for p in school.pupils
                         if p.born],
    }


def make_zip(files: Mapping[str, Sequence[Mapping[str, str]]], *, mode: str = "bulk",
             version: str = "1.2", headers: Mapping[str, Sequence[str]] | None = None,
             bom: bool = False, extra: Mapping[str, bytes] | None = None,
             dated: tuple[int, int, int] = (2026, 11, 1)) -> bytes:
    """A zip of the files, with a manifest that marks each of them ``mode``."""
    manifest = [{"propertyName": "manifest.version", "value": "1.0"},
                {"propertyName": "oneroster.version", "value": version}]
    manifest += [{"propertyName": f"file.{name}", "value": mode if name in files else "absent"}
                 for name in COLUMNS]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        def write(name: str, text: str) -> None:
            info = zipfile.ZipInfo(name, date_time=(*dated, 12, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, ("\ufeff" if bom else "") + text)

        write("manifest.csv", _csv(["propertyName", "value"], manifest))
        for name, rows in files.items():
            header = (headers or {}).get(name, COLUMNS[name])
            write(f"{name}.csv", _csv(header, rows))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def delta(rows: Mapping[str, Sequence[Mapping[str, str]]], *, status: str = "active",
          day: str = DELTA_DAY) -> dict[str, list[dict[str, str]]]:
    """The rows as a delta's: each with a status (its own, else ``status``) and a date."""
    return {name: [{"status": status, "dateLastModified": day, **row} for row in file_rows]
            for name, file_rows in rows.items()}


def small_school() -> School:
    """4B with two pupils and their parents, 5A with one; a scheduled maths class."""
    return School(
        classes={"cls-4b": "4B", "cls-5a": "5A"},
        teachers={"cls-4b": ["t-1"], "cls-5a": ["t-2"]},
        scheduled={"cls-math": "Maths 4"},
        pupils=[
            Pupil("p-1", "Anna", "de Vries", "cls-4b", "2016-03-14", ["g-1", "g-2"], "1001"),
            Pupil("p-2", "Bram", "Jansen", "cls-4b", "2016-05-02", ["g-3"], "1002"),
            Pupil("p-3", "Chen", "Li", "cls-5a", "2015-01-20", ["g-4"], "1003"),
        ],
        people=[
            Person("g-1", "Eva", "de Vries", "eva@example.org"),
            Person("g-2", "Joost", "de Vries", "joost@example.org", role="guardian"),
            Person("g-3", "Marit", "Jansen", "marit@example.org"),
            Person("g-4", "Wei", "Li", "wei@example.org"),
            Person("t-1", "Tessa", "Bakker", "tessa@school.example", role="teacher"),
            Person("t-2", "Ruud", "Smit", "ruud@school.example", role="teacher"),
        ],
    )
