"""Celery adapters for the records office: each task calls one action and returns a summary."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from celery import shared_task
from django.dispatch import receiver
from django.utils import timezone

from records import actions, backup, erasure


# Task names keep the ``archive.`` prefix they were queued and scheduled under.
@shared_task(name="archive.run_export")
def run_export(export_id: int) -> str:
    return actions.run_export(export_id).status


@shared_task(name="archive.expire_exports")
def expire_exports() -> int:
    return actions.expire_downloads() + actions.expire_search_downloads()


@shared_task(name="records.run_search_export")
def run_search_export(export_id: int) -> str:
    return actions.run_search_export(export_id).status


@shared_task(name="records.backup")
def back_up() -> str:
    """The nightly backup (CELERY_BEAT_SCHEDULE); does nothing until a recipient key is set."""
    if not backup.configured():
        return "not configured"
    run = actions.back_up()
    return "ok" if run.ok else f"failed: {run.error}"


@receiver(actions.export_requested, dispatch_uid="records.queue_export")
def queue_export(sender: Any, export_id: int, **kwargs: Any) -> None:
    run_export.delay(export_id)


@receiver(actions.search_export_requested, dispatch_uid="records.queue_search_export")
def queue_search_export(sender: Any, export_id: int, **kwargs: Any) -> None:
    run_search_export.delay(export_id)


@shared_task(name="records.anonymise_leavers")
def anonymise_leavers() -> int:
    """Anonymise the leavers whose school's period for leavers' accounts has passed."""
    return erasure.anonymise_due_leavers()


def on_leavers_processed(sender: Any, *, school: Any = None, today: date | None = None,
                         **kwargs: Any) -> None:
    """After the daily leavers run (and the ``process_leavers`` command): the same day's
    anonymisation, counted up to the end of the day the run was for."""
    moment = timezone.now()
    if today is not None and today != timezone.localdate():
        moment = timezone.make_aware(datetime.combine(today, time.max))
    erasure.anonymise_due_leavers(now=moment, schools=[school] if school is not None else None)
