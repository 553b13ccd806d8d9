"""Celery tasks of the accounts app: thin adapters around :mod:`accounts.actions`."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.dispatch import receiver

from accounts import signals
from accounts.actions import roster_imports
from accounts.actions.leavers import process_due_leavers


@shared_task(name="accounts.process_leavers")
def process_leavers() -> dict[str, int]:
    """Daily: apply every leave date that has come (see CELERY_BEAT_SCHEDULE)."""
    return process_due_leavers()


@shared_task(name="accounts.run_roster_import")
def run_roster_import(import_id: int) -> str:
    """Apply a roster import the admin confirmed; returns its final state."""
    return roster_imports.run_roster_import(import_id).state


@receiver(signals.roster_import_requested, dispatch_uid="accounts.queue_roster_import")
def queue_roster_import(sender: Any, import_id: int, **kwargs: Any) -> None:
    run_roster_import.delay(import_id)
