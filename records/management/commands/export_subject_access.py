"""Write a subject access export (ZIP) for one person or one pupil.

The export is archived (``export.made``) and audited like one made from the DPO pages. A
pupil's export has no review step here: everything found about the pupil (messages naming
them, tagged photos, consent records) is included and marked "not reviewed".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Pupil, User
from records import actions


class Command(BaseCommand):
    help = "Export everything about one user (--user) or pupil (--pupil) to a ZIP file."

    def add_arguments(self, parser: CommandParser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--user", help="username")
        who.add_argument("--pupil", help="pupil reference")
        parser.add_argument("--school", help="school short name (when a pupil ref is ambiguous)")
        parser.add_argument("--out", required=True, help="the ZIP file to write")

    def handle(self, *args: Any, user: str | None = None, pupil: str | None = None,
               school: str | None = None, out: str = "", **options: Any) -> None:
        if user:
            account = User.objects.filter(username=user).first()
            if account is None:
                raise CommandError(f"no user {user!r}")
            sha = actions.export_to_file(Path(out), user=account)
        else:
            pupils = Pupil.objects.filter(ref=pupil)
            if school:
                pupils = pupils.filter(school__slug=school)
            found = list(pupils[:2])
            if len(found) != 1:
                raise CommandError(f"no single pupil with reference {pupil!r} (use --school)")
            sha = actions.export_to_file(Path(out), pupil=found[0])
        self.stdout.write(f"wrote {out} (sha256 {sha})")
