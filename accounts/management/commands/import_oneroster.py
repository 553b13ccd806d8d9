"""Import the school's OneRoster 1.2 CSV zip (see docs/accounts.md, "OneRoster").

Safety: the whole zip is checked before anything is written; a bad file is refused whole
(every bad line named by file and line on stderr, exit status 1). --dry-run reports every
change, the skipped classes and the leavers, and applies none. A bulk file's leavers are
applied without a question here: the operator running the command is the one who confirms.
Refused while the school's admin has an import running.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actions.roster_imports import ImportRefused, refuse_while_running
from accounts.models import School
from accounts.oneroster import MAX_ZIP_BYTES
from accounts.oneroster_import import import_oneroster
from accounts.roster import RosterRejected


class Command(BaseCommand):
    help = "Import pupils, guardians, teachers and classes from a OneRoster 1.2 CSV zip."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--school", required=True, help="the school's short name")
        parser.add_argument("--dry-run", action="store_true", help="report, change nothing")

    def handle(self, *args: Any, file: Path, school: str, dry_run: bool = False,
               **options: Any) -> None:
        chosen = School.objects.filter(slug=school).first()
        if chosen is None:
            raise CommandError(f"no school with the short name {school}")
        try:
            with file.open("rb") as handle:
                raw = handle.read(MAX_ZIP_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        try:
            refuse_while_running(chosen)
            report = import_oneroster(chosen, raw, dry_run=dry_run)
        except ImportRefused as exc:
            raise CommandError(str(exc)) from exc
        except RosterRejected as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(f"{len(exc.errors)} problem(s); nothing was imported") from exc
        self.stdout.write(report.separated_by)
        for change in report.changes:
            self.stdout.write(change)
        for title in report.skipped:
            self.stdout.write(f"skipped (a scheduled class): {title}")
        prefix = "dry run, nothing applied: " if dry_run else ""
        self.stdout.write(self.style.SUCCESS(prefix + report.summary()))
