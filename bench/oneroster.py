"""`make bench-oneroster`: a real school's OneRoster 1.2 bulk import, timed on PostgreSQL.

The same school as `make bench-roster` (1,500 pupils, 2,500 guardians, 56 homeroom classes,
every pupil with one or two guardians), written as a OneRoster 1.2 CSV zip (orgs, an academic
session, a course, the classes with a teacher each, users, roles, enrollments, demographics)
and imported into a fresh school by the code the admin's page and ``manage.py
import_oneroster`` run (reading and checking the zip, pupils, guardian and teacher accounts,
enrolments, staff assignments, guardianships, the class conversations following, every
archive record). The figure is the import's wall-clock time.

Its own database, ``<name>_oneroster_bench`` (dropped and re-created on DATABASE_URL's
server); DATABASE_URL's own database is never touched. ``ROSTER_BENCH_PUPILS`` and
``ROSTER_BENCH_GUARDIANS`` as for `make bench-roster`. The last line printed is
``oneroster_import_s=<seconds>``.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.roster import FIRST, GUARDIANS, LAST, PUPILS, create_database, database_urls  # noqa: E402

ORG = "org-bench"


def _csv(header: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([row.get(column, "") for column in header] for row in rows)
    return out.getvalue()


def oneroster_zip(headers: dict[str, list[str]], pupils: int = PUPILS,
                  guardians: int = GUARDIANS) -> bytes:
    """Pupil n has guardian g-n; the first ``guardians - pupils`` pupils a second one; 8 grades
    of 7 classes, each with its teacher."""
    classes = [f"{1 + n % 8}{'ABCDEFG'[n // 8 % 7]}" for n in range(56)]
    users: list[dict[str, str]] = []
    roles: list[dict[str, str]] = []
    enrolments: list[dict[str, str]] = []
    births: list[dict[str, str]] = []

    def person(sid: str, given: str, family: str, role: str, **more: str) -> None:
        users.append({"sourcedId": sid, "enabledUser": "true", "username": sid,
                      "givenName": given, "familyName": family, **more})
        roles.append({"sourcedId": f"r-{sid}", "userSourcedId": sid, "roleType": "primary",
                      "role": role, "orgSourcedId": ORG})

    for n, title in enumerate(sorted(set(classes))):
        person(f"t-{n}", "Teacher", title, "teacher", email=f"t{n}@school.invalid")
        enrolments.append({"sourcedId": f"e-t-{n}", "classSourcedId": f"c-{title}",
                           "schoolSourcedId": ORG, "userSourcedId": f"t-{n}",
                           "role": "teacher"})
    for n in range(pupils):
        agents = [f"g-{n}"] + ([f"g-{pupils + n}"] if n < guardians - pupils else [])
        person(f"p-{n}", FIRST[n % len(FIRST)], LAST[n % len(LAST)], "student",
               identifier=f"P{n:05d}", agentSourcedIds=",".join(agents))
        klass = f"{1 + n % 8}{'ABCDEFG'[n // 8 % 7]}"
        enrolments.append({"sourcedId": f"e-p-{n}", "classSourcedId": f"c-{klass}",
                           "schoolSourcedId": ORG, "userSourcedId": f"p-{n}", "role": "student"})
        births.append({"sourcedId": f"p-{n}",
                       "birthDate": f"{2012 + n % 8}-{1 + n % 12:02d}-{1 + n % 28:02d}"})
    for n in range(guardians):
        person(f"g-{n}", "Parent", str(n), "parent", email=f"g{n}@example.invalid")
    files = {
        "orgs": [{"sourcedId": ORG, "name": "Bench Primary", "type": "school"}],
        "academicSessions": [{"sourcedId": "y", "title": "2026", "type": "schoolYear",
                              "startDate": "2026-08-01", "endDate": "2027-07-31",
                              "schoolYear": "2027"}],
        "courses": [{"sourcedId": "k", "title": "Group", "orgSourcedId": ORG}],
        "classes": [{"sourcedId": f"c-{t}", "title": t, "courseSourcedId": "k",
                     "classType": "homeroom", "schoolSourcedId": ORG, "termSourcedIds": "y"}
                    for t in sorted(set(classes))],
        "users": users, "roles": roles, "enrollments": enrolments, "demographics": births,
    }
    manifest = [{"propertyName": "manifest.version", "value": "1.0"},
                {"propertyName": "oneroster.version", "value": "1.2"}]
    manifest += [{"propertyName": f"file.{name}", "value": "bulk" if name in files else "absent"}
                 for name in headers]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.csv", _csv(["propertyName", "value"], manifest))
        for name, rows in files.items():
            archive.writestr(f"{name}.csv", _csv(headers[name], rows))
    return out.getvalue()


def oneroster_import_seconds() -> float:
    maintenance_url, url, name = database_urls(os.environ)
    name = name.replace("_roster_bench", "_oneroster_bench")
    url = url.rsplit("/", 1)[0] + f"/{name}"
    create_database(maintenance_url, url, name)
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("SQLITE_PATH", None)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolchat.settings")
    import django

    django.setup()
    from accounts.actions.schools import set_up_school
    from accounts.oneroster import HEADERS
    from accounts.oneroster_import import import_oneroster

    school = set_up_school("OneRoster Bench Primary", slug="oneroster-bench",
                           admin_username="office", admin_name="Office", admin_email="",
                           new_link=False, language="").school
    admin = school.users.get(username="office")
    raw = oneroster_zip(HEADERS)
    started = time.perf_counter()
    report = import_oneroster(school, raw, actor=admin)
    seconds = time.perf_counter() - started
    counts = report.counts
    if counts["pupil.created"] != PUPILS or counts["guardian.created"] != GUARDIANS:
        raise SystemExit(f"the import did not create what the file lists: {dict(counts)}")
    return seconds


if __name__ == "__main__":
    took = oneroster_import_seconds()
    print(f"{PUPILS:,} pupils, {GUARDIANS:,} guardians, OneRoster 1.2 bulk zip")
    print(f"oneroster_import_s={took:.1f}")
