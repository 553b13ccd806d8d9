"""`make bench-roster`: a real school's roster import, timed on PostgreSQL.

A roster of 1,500 pupils and 2,500 guardians (56 classes, every pupil with one or two
guardians, 2,500 guardianships) in the school's CSV format is imported into a fresh school by
the same code the admin's page and ``manage.py import_roster`` run (validation, pupils,
accounts, enrolments, guardianships, the class conversations following, every archive
record). The figure is the import's wall-clock time; the target is at most 15 s.

The bench makes its own database, ``<name>_roster_bench`` for DATABASE_URL's database
``<name>`` (``schoolchat_roster_bench`` without one; dropped and re-created on the server of
DATABASE_URL, else postgres://postgres@127.0.0.1:5432), and never touches DATABASE_URL's own
database. Redis is not used. Environment: ``ROSTER_BENCH_PUPILS`` (default 1,500) and
``ROSTER_BENCH_GUARDIANS`` (default 2,500, at most twice the pupils).

The last line printed is ``roster_import_s=<seconds>``; :func:`roster_import_seconds` returns
the same figure to a caller (it sets up Django in the calling process, on the bench database).
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_PG_SERVER = "postgres://postgres@127.0.0.1:5432"
DEFAULT_DB_NAME = "schoolchat"
PUPILS = int(os.environ.get("ROSTER_BENCH_PUPILS", "1500"))
GUARDIANS = int(os.environ.get("ROSTER_BENCH_GUARDIANS", "2500"))
TARGET_S = 15.0
HEADER = ["pupil_ref", "pupil_first_name", "pupil_last_name", "date_of_birth", "class",
          "guardian_ref", "guardian_name", "guardian_email", "relationship",
          "parental_responsibility"]
FIRST = ["Anna", "Daan", "Zoë", "Дмитрий", "Chloé", "Sem", "Łukasz", "Fatima", "Noah", "Julia"]
LAST = ["de Vries", "Jansen", "Петров", "Bakker", "García", "Visser", "Smit", "Nguyễn"]


def database_urls(environ: dict[str, str] | os._Environ[str]) -> tuple[str, str, str]:
    """The maintenance URL, the bench database's URL and its name."""
    user_db = environ.get("DATABASE_URL", "")
    parts = urlsplit(user_db)
    user_pg = parts.scheme in {"postgres", "postgresql", "pgsql"}
    server = urlunsplit((parts.scheme, parts.netloc, "", parts.query, "")) if user_pg \
        else DEFAULT_PG_SERVER
    user_name = unquote(parts.path.lstrip("/")) if user_pg else ""
    name = f"{user_name or DEFAULT_DB_NAME}_roster_bench"
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise SystemExit(f"the bench's database would be {name!r}: DATABASE_URL's database name"
                         " must be lower-case letters, digits and _")
    server = server.rstrip("/")
    return f"{server}/postgres", f"{server}/{name}", name


def roster_csv(pupils: int = PUPILS, guardians: int = GUARDIANS) -> str:
    """Pupil n has guardian G<n> (parent, responsible); the first ``guardians - pupils`` pupils
    also have a second one (responsible); 8 grades of 7 classes."""
    if not pupils <= guardians <= 2 * pupils:
        raise SystemExit("ROSTER_BENCH_GUARDIANS must be between the pupils and twice them")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for n in range(pupils):
        pupil = [f"P{n:05d}", FIRST[n % len(FIRST)], LAST[n % len(LAST)],
                 f"{2012 + n % 8}-{1 + n % 12:02d}-{1 + n % 28:02d}",
                 f"{1 + n % 8}{'ABCDEFG'[n // 8 % 7]}"]
        writer.writerow([*pupil, f"G{n:05d}", f"Parent {n}", f"g{n}@example.invalid",
                         "mother", "yes"])
        if n < guardians - pupils:
            writer.writerow([*pupil, f"G{pupils + n:05d}", f"Parent {pupils + n}",
                             f"g{pupils + n}@example.invalid", "father", "yes"])
    return out.getvalue()


def create_database(maintenance_url: str, url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "SQLITE_PATH"}}
    env.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="schoolchat.settings")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT,
                   env=env, check=True)


def roster_import_seconds() -> float:
    """Build the bench database and the roster, import it into a fresh school; the seconds the
    import took."""
    maintenance_url, url, name = database_urls(os.environ)
    create_database(maintenance_url, url, name)
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("SQLITE_PATH", None)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolchat.settings")
    import django

    django.setup()
    from accounts.actions.schools import set_up_school
    from accounts.roster import import_roster

    school = set_up_school("Roster Bench Primary", slug="roster-bench", admin_username="office",
                           admin_name="Office", admin_email="", new_link=False,
                           language="").school
    admin = school.users.get(username="office")
    text = roster_csv()
    started = time.perf_counter()
    report = import_roster(school, text, actor=admin)
    seconds = time.perf_counter() - started
    counts = report.counts
    if counts["pupil.created"] != PUPILS or counts["guardian.created"] != GUARDIANS:
        raise SystemExit(f"the import did not create what the roster lists: {dict(counts)}")
    return seconds


def main() -> None:
    seconds = roster_import_seconds()
    print(f"{PUPILS} pupils, {GUARDIANS} guardians; target at most {TARGET_S:.0f} s",
          file=sys.stderr)
    print(f"roster_import_s={seconds:.2f}")


if __name__ == "__main__":
    main()
