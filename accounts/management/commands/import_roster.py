"""Import the school's roster CSV (see docs/accounts.md for the columns).

Safety: the whole file is validated before anything is written; a bad file is rejected whole
(every bad line named, exit status 1). --dry-run reports every change and applies none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import School
from accounts.roster import RosterRejected, decode, import_roster


class Command(BaseCommand):
    help = ("Import pupils, guardians and classes from a roster CSV (header row; commas or "
            "semicolons; UTF-8 or Excel's Windows encoding).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="report, change nothing")
        parser.add_argument("--school", help="the school's short name (needed if several)")

    def handle(self, *args: Any, file: Path, dry_run: bool = False, school: str | None = None,
               **options: Any) -> None:
        schools = School.objects.all() if school is None else School.objects.filter(slug=school)
        if schools.count() != 1:
            raise CommandError("name the school with --school <short name>")
        try:
            text, encoding = decode(file.read_bytes())
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        try:
            report = import_roster(schools.get(), text, dry_run=dry_run, encoding=encoding)
        except RosterRejected as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(f"{len(exc.errors)} bad line(s); nothing was imported") from exc
        for change in report.changes:
            self.stdout.write(change)
        prefix = "dry run, nothing applied: " if dry_run else ""
        self.stdout.write(self.style.SUCCESS(prefix + report.summary()))
