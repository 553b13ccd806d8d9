"""Celery adapters for the archive: each task calls one function and returns a summary."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="archive.seal")
def seal_archive() -> int:
    from archive import chain

    return chain.seal().pk


@shared_task(name="archive.apply_retention")
def apply_retention() -> dict[str, int]:
    from archive import retention

    outcomes = retention.apply_retention()
    return {"messages": sum(o.messages for o in outcomes),
            "audit_entries": sum(o.audit_entries for o in outcomes)}


@shared_task(name="archive.run_export")
def run_export(export_id: int) -> str:
    from archive import actions

    return actions.run_export(export_id).status


@shared_task(name="archive.expire_exports")
def expire_exports() -> int:
    from archive import actions

    return actions.expire_downloads()
