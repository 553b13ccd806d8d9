"""Load the demo school. Idempotent: a second run reuses what exists and adds nothing twice.

Safety: it refuses to run when DEBUG is off unless --force is given, so a production database
never gets demo accounts with a published password by accident.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import demo
from archive import demo as archive_demo


class Command(BaseCommand):
    help = "Create (or reuse) the demo school with its people, classes, conversations and history."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="run even when DEBUG is off")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the address to print")

    def handle(self, *args: Any, force: bool = False, url: str = "http://127.0.0.1:8000",
               **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("refusing to load demo accounts with DEBUG off (use --force)")
        context: dict[str, Any] = demo.seed()
        # The apps above accounts registered their parts (<app>/demo.py) from AppConfig.ready;
        # the archive's comes last: it seals what the others recorded.
        for part in demo.parts():
            part(context)
        archive_demo.seed(context)
        self.stdout.write(self.style.SUCCESS(f"Demo school ready: {url}"))
        self.stdout.write(f"Logins (password for all: {demo.PASSWORD}):")
        for username, label in [
            ("admin", "school admin"), ("teacher", "teacher of 4B"),
            ("parent", "parent of Emma Jansen, 4B"), ("parent5a", "parent of Mateo García, 5A"),
            ("dpo", "data-protection officer"),
            ("lead", "safeguarding lead: open reports and flags at /safeguarding/"),
            ("office", "school office: today's absences at /absence/"),
        ]:
            self.stdout.write(f"  {username:<10} {label}")
