"""Apply every leave date that has come: deactivate leavers' accounts, end their sessions,
sockets and memberships, revoke their invitations, end leaving pupils' enrolments.

Safety: idempotent (an account already processed is skipped), each leaver in its own
transaction, so one failure cannot undo the others. --dry-run lists who is due.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from accounts.actions.leavers import process_due_leavers
from accounts.models import Enrolment, Pupil, User


class Command(BaseCommand):
    help = "Apply due leave dates (the daily Celery beat job does the same)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list who is due, change nothing")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        today = timezone.localdate()
        if dry_run:
            for user in User.objects.filter(leaves_on__lte=today, left_at__isnull=True):
                self.stdout.write(f"account {user.username} (leaves on {user.leaves_on})")
            for pupil in Pupil.objects.filter(left_on__lte=today).filter(
                pk__in=Enrolment.objects.open_on(today).values("pupil_id")
            ):
                self.stdout.write(f"pupil {pupil.ref} (leaves on {pupil.left_on})")
            return
        done = process_due_leavers()
        self.stdout.write(self.style.SUCCESS(
            f"{done['users']} account(s) deactivated, {done['pupils']} pupil(s) left"
        ))
