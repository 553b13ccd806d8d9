"""Restore a backup into an empty database and media folder, then verify the archive.

Refuses, before writing anything, a file it cannot decrypt with the identity, a part that does
not match the manifest (naming it), a database that has tables and a media folder that has
files. Prints what it restored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from records import backup


class Command(BaseCommand):
    help = "Restore FILE (a schoolchat backup) with the age identity in KEYFILE."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the .tar.age backup file")
        parser.add_argument("--identity", "-i", required=True,
                            help="the age identity file (AGE-SECRET-KEY-1…), as age -i takes")

    def handle(self, *args: Any, file: str, identity: str, **options: Any) -> None:
        try:
            restored = backup.restore(Path(file), backup.identities_from(Path(identity)))
        except backup.BackupError as exc:
            raise CommandError(f"restore refused: {exc}") from None
        report = restored.report
        self.stdout.write(f"archive intact: {report.records} records in {report.chains} chains, "
                          f"{report.seals} seals")
        self.stdout.write(f"restored {backup.describe(restored.counts)}")
