"""Celery tasks of the accounts app: thin adapters around :mod:`accounts.actions`."""

from __future__ import annotations

from celery import shared_task

from accounts.actions.leavers import process_due_leavers


@shared_task(name="accounts.process_leavers")
def process_leavers() -> dict[str, int]:
    """Daily: apply every leave date that has come (see CELERY_BEAT_SCHEDULE)."""
    return process_due_leavers()
