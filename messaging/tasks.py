"""Celery tasks of messaging: thin adapters around :mod:`messaging.digest`."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="messaging.send_digests")
def send_digests() -> int:
    from messaging.digest import send_digests as run

    return run()


@shared_task(name="messaging.send_scheduled")
def send_scheduled() -> int:
    from messaging.actions import send_due_scheduled

    return send_due_scheduled()


@shared_task(name="messaging.hide_photos", autoretry_for=(Exception,), max_retries=5,
             retry_backoff=True)
def hide_photos(pupil_id: int, purpose: str) -> int:
    """Hide the photos of a pupil whose photo consent was withdrawn (idempotent)."""
    from accounts.models import Pupil
    from messaging.attachments import hide_photos_of

    pupil = Pupil.objects.filter(pk=pupil_id).first()
    return 0 if pupil is None else hide_photos_of(pupil, purpose)
