"""The restore drill (``make restore-drill``): back up, restore into a scratch database and media
folder, verify, drop the scratch copy, and say PASS or FAIL. The date is noted for the dashboard.

Without arguments the drill's backup is encrypted to a key made for the drill (the school's
private key is not on the server); ``FILE --identity KEYFILE`` drills a real backup instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from records import actions, backup


class Command(BaseCommand):
    help = "Back up, restore into a scratch database, verify: PASS or FAIL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="a backup to drill instead of a fresh one")
        parser.add_argument("--identity", "-i", help="the age identity file for FILE")
        parser.add_argument("--scratch-name", help="the scratch PostgreSQL database's name")

    def handle(self, *args: Any, file: str | None = None, identity: str | None = None,
               scratch_name: str | None = None, **options: Any) -> None:
        if bool(file) != bool(identity):
            raise CommandError("give FILE and --identity together, or neither")
        run = actions.drill(path=Path(file) if file else None,
                            identity=Path(identity) if identity else None,
                            scratch_name=scratch_name, say=self.stdout.write)
        if not run.ok:
            raise CommandError(f"restore drill FAIL: {run.error}")
        self.stdout.write(f"restore drill PASS: restored {backup.describe(run.counts)}")
