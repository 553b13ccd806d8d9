"""Celery adapters for the archive: each task calls one function and returns a summary."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.dispatch import receiver

from archive import actions, chain, retention


@shared_task(name="archive.seal")
def seal_archive() -> int:
    return chain.seal().pk


@shared_task(name="archive.apply_retention")
def apply_retention() -> dict[str, int]:
    outcomes = retention.apply_retention()
    return {"messages": sum(o.messages for o in outcomes),
            "audit_entries": sum(o.audit_entries for o in outcomes)}


@shared_task(name="archive.run_export")
def run_export(export_id: int) -> str:
    return actions.run_export(export_id).status


@shared_task(name="archive.expire_exports")
def expire_exports() -> int:
    return actions.expire_downloads()


@receiver(actions.export_requested, dispatch_uid="archive.queue_export")
def queue_export(sender: Any, export_id: int, **kwargs: Any) -> None:
    run_export.delay(export_id)
