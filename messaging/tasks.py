"""Celery tasks of messaging: thin adapters around the actions and :mod:`messaging.digest`."""

from __future__ import annotations

from typing import Any

from celery import shared_task

import consent
from accounts.models import Pupil
from messaging import digest
from messaging.actions import attachments, scheduled


@shared_task(name="messaging.send_digests")
def send_digests() -> int:
    return digest.send_digests()


@shared_task(name="messaging.send_scheduled")
def send_scheduled() -> int:
    return scheduled.send_due_scheduled()


@shared_task(name="messaging.hide_photos", autoretry_for=(Exception,), max_retries=5,
             retry_backoff=True)
def hide_photos(pupil_id: int, purpose: str) -> int:
    """Hide the photos of a pupil whose photo consent was withdrawn (idempotent)."""
    pupil = Pupil.objects.filter(pk=pupil_id).first()
    return 0 if pupil is None else attachments.hide_photos_of(pupil, purpose)


def on_consent_changed(sender: Any, *, pupil: Pupil, purpose: str, decision: str,
                       **kwargs: Any) -> None:
    """``consent.signals.consent_changed``: a withdrawn photo consent hides the pupil's photos."""
    if purpose in (consent.PHOTOS_CLASS, consent.PHOTOS_TOGETHER) and decision != "granted":
        # A task (inline in the embedded default): the withdrawal is already committed, and
        # a failure here is retried by the worker instead of failing the guardian's request.
        hide_photos.delay(pupil.pk, purpose)
