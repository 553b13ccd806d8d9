"""Import the school's roster CSV (see docs/accounts.md for the columns).

Safety: the whole file is validated before anything is written; a bad file is rejected whole
(every bad line named, exit status 1). --dry-run reports every change and applies none.

The import runs here, in this process (not on the worker), and tells its progress on stderr:
a line each time another tenth of the file's lines is done (--progress-every sets the step,
in percent; 0 for none). Refused while the school's admin has an import running.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actions.roster_imports import ImportRefused, refuse_while_running
from accounts.models import School
from accounts.roster import Progress, RosterRejected, decode, import_roster


class Command(BaseCommand):
    help = ("Import pupils, guardians and classes from a roster CSV (header row; commas or "
            "semicolons; UTF-8 or Excel's Windows encoding).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="report, change nothing")
        parser.add_argument("--school", help="the school's short name (needed if several)")
        parser.add_argument("--progress-every", type=int, default=10, metavar="PERCENT",
                            help="a progress line on stderr every PERCENT %% of the lines "
                                 "(default 10; 0: none)")

    def handle(self, *args: Any, file: Path, dry_run: bool = False, school: str | None = None,
               progress_every: int = 10, **options: Any) -> None:
        schools = School.objects.all() if school is None else School.objects.filter(slug=school)
        if schools.count() != 1:
            raise CommandError("name the school with --school <short name>")
        if not 0 <= progress_every <= 100:
            raise CommandError("--progress-every is a percentage from 0 to 100")
        try:
            text, encoding = decode(file.read_bytes())
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        chosen = schools.get()
        try:
            refuse_while_running(chosen)
        except ImportRefused as exc:
            raise CommandError(str(exc)) from exc
        try:
            report = import_roster(chosen, text, dry_run=dry_run, encoding=encoding,
                                   progress=self._progress(progress_every))
        except RosterRejected as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(f"{len(exc.errors)} bad line(s); nothing was imported") from exc
        for change in report.changes:
            self.stdout.write(change)
        prefix = "dry run, nothing applied: " if dry_run else ""
        self.stdout.write(self.style.SUCCESS(prefix + report.summary()))

    def _progress(self, every: int) -> Progress | None:
        """A line on stderr each time the lines done cross another ``every`` percent."""
        if every == 0:
            return None
        last = -1

        def tell(done: int, total: int) -> None:
            nonlocal last
            percent = 100 * done // total if total else 100
            step = percent // every
            if step > last:
                last = step
                self.stderr.write(f"{done:,} of {total:,} lines ({percent}%)")

        return tell
