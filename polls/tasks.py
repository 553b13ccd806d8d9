"""Archive the closing counts of polls whose time ran out (Celery beat, every minute)."""

from __future__ import annotations

from celery import shared_task

from polls.actions import asking


@shared_task(name="polls.count_closed")
def count_closed() -> int:
    return asking.count_closed()
