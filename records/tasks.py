"""Celery adapters for the records office: each task calls one action and returns a summary."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.dispatch import receiver

from records import actions, backup


# Task names keep the ``archive.`` prefix they were queued and scheduled under.
@shared_task(name="archive.run_export")
def run_export(export_id: int) -> str:
    return actions.run_export(export_id).status


@shared_task(name="archive.expire_exports")
def expire_exports() -> int:
    return actions.expire_downloads()


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
