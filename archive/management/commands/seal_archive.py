"""Append a seal committing the head of every archive chain (Celery beat does this hourly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from archive import chain


class Command(BaseCommand):
    help = "Seal the archive: commit the head of every chain in the global seal chain."

    def handle(self, *args: Any, **options: Any) -> None:
        rec = chain.seal()
        self.stdout.write(f"sealed {len(rec.payload.content['heads'])} chains in record {rec.pk}")
