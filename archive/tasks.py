"""Celery adapters for the archive: each task calls one function and returns a summary."""

from __future__ import annotations

from celery import shared_task

from archive import chain, retention
from observability import metrics


@shared_task(name="archive.seal")
def seal_archive() -> int:
    return chain.seal().pk


@shared_task(name="archive.apply_retention")
def apply_retention() -> dict[str, int]:
    try:
        outcomes = retention.apply_retention()
    except Exception:
        metrics.RETENTION_RUNS.labels("failed").inc()
        raise
    metrics.RETENTION_RUNS.labels("ok").inc()
    return {"messages": sum(o.messages for o in outcomes),
            "audit_entries": sum(o.audit_entries for o in outcomes)}
