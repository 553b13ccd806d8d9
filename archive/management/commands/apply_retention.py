"""Purge what is past its retention period and not under legal hold, in small batches.

Safety points:
- ``--dry-run`` counts and reports, deleting nothing.
- Each batch is its own transaction and first appends a purge record listing what it deletes;
  a crash loses at most the batch in flight, and the next run resumes.
- Legal holds are re-read inside every batch.
- The output ends with what will be purged in the next 30 days.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from archive import retention


class Command(BaseCommand):
    help = "Apply the retention policies (use --dry-run to see what would be purged)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="report only, delete nothing")
        parser.add_argument("--batch-size", type=int, default=retention.BATCH_SIZE)

    def handle(self, *args: Any, dry_run: bool = False, batch_size: int = retention.BATCH_SIZE,
               **options: Any) -> None:
        now = timezone.now()
        verb = "would purge" if dry_run else "purged"
        for outcome in retention.apply_retention(now, dry_run=dry_run, batch_size=batch_size):
            count = outcome.audit_entries if outcome.category == "audit" else outcome.messages
            noun = "audit entries" if outcome.category == "audit" else "messages"
            line = (f"school {outcome.school} {outcome.category} ({outcome.days} days, before "
                    f"{outcome.cutoff:%Y-%m-%d}): {verb} {count} {noun}")
            if outcome.held:
                line += f", {outcome.held} kept under legal hold"
            if outcome.purge_records:
                line += f" in {outcome.batches} batches (purge records {outcome.purge_records[0]}"
                line += f"..{outcome.purge_records[-1]})"
            self.stdout.write(line)
        self.stdout.write("Due in the next 30 days:")
        for school in retention.schools():
            for row in retention.forecast(school, now):
                if not row.purged_here:
                    continue
                first = f", first on {row.first_due:%Y-%m-%d}" if row.first_due else ""
                self.stdout.write(f"  school {school.pk} {row.category}: {row.due} due, "
                                  f"{row.held} held{first}")
