"""Write one encrypted backup of the database and the media files (docs/operations.md).

By default to ``SCHOOLCHAT_BACKUP_DIR`` for ``SCHOOLCHAT_BACKUP_RECIPIENTS``, then rotated;
``--recipient`` and ``--out`` override the key and the destination (nothing is rotated then).
Every run, good or failed, is noted for ``/healthz`` and the admin's dashboard.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from records import actions


class Command(BaseCommand):
    help = "Write an encrypted backup (database, media files, manifest) for the school's age key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--recipient", action="append", default=[],
                            help="an age public key (age1…) to encrypt to; may be repeated")
        parser.add_argument("--out", help="the file to write instead of a new one in the folder")

    def handle(self, *args: Any, recipient: list[str], out: str | None = None,
               **options: Any) -> None:
        if not recipient and not settings.SCHOOLCHAT_BACKUP_RECIPIENTS:
            raise CommandError("no recipient: set SCHOOLCHAT_BACKUP_RECIPIENTS or pass --recipient")
        run = actions.back_up(recipients=recipient or None, out=Path(out) if out else None)
        if not run.ok:
            raise CommandError(f"backup failed: {run.error}")
        self.stdout.write(f"wrote {run.file_name} ({run.size} bytes, sha256 {run.sha256})")
