"""Push jobs, on the ``push`` queue (CELERY_TASK_ROUTES): one to find who is told about a
message, then one per device, retried on its own when its push service is busy or down."""

from __future__ import annotations

import json
import logging
from typing import Any

import requests
from celery import Task, shared_task
from django.utils import translation

from messaging.models import Message
from notifications import actions, push, recipients
from notifications.models import Device

logger = logging.getLogger(__name__)

MAX_RETRIES = 6
GONE = (404, 410)


def backoff(retries: int, retry_after: int | None) -> int:
    """Seconds before the next try: the service's Retry-After, else 30 s doubling to ~30 min."""
    if retry_after is not None:
        return min(retry_after, 3600)
    return min(30 * 2**retries, 1800)


@shared_task(name="notifications.notify")
def notify(conversation_id: int, message_id: int) -> int:
    message = (Message.objects
               .select_related("sender", "conversation__school", "conversation__school_class")
               .filter(pk=message_id, conversation_id=conversation_id).first())
    if message is None or message.is_retracted:
        return 0
    urgency = "high" if message.urgent else "normal"
    targets = recipients.devices(message)
    # Each person's notification in their own language; rendered once per language.
    bodies: dict[str, dict[str, Any]] = {}
    for device in targets:
        language = device.user.preferred_language
        if language not in bodies:
            with translation.override(language):
                bodies[language] = recipients.payload(message)
        deliver.delay(device.pk, bodies[language], urgency=urgency,
                      topic=recipients.topic(conversation_id))
    return len(targets)


@shared_task(name="notifications.notify_messages")
def notify_messages(conversation_id: int, message_ids: list[int]) -> int:
    """:func:`notify` for each message one commit stored, in order."""
    return sum(notify(conversation_id, message_id) for message_id in message_ids)


@shared_task(name="notifications.deliver", bind=True, max_retries=MAX_RETRIES, acks_late=True)
def deliver(self: Task, device_id: int, body: dict[str, Any], *, urgency: str, topic: str) -> str:
    device = Device.objects.filter(pk=device_id).first()
    if device is None:
        return "gone"  # removed (logout, leaver, 410) since the job was queued
    try:
        answer = push.send(device, json.dumps(body).encode(), urgency=urgency, topic=topic)
    except requests.RequestException as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries, None)) from exc
    if 200 <= answer.status < 300:
        actions.mark_delivered(device_id)
        return "sent"
    if answer.status in GONE:
        actions.forget_gone_device(device_id, answer.status)
        return "removed"
    if answer.status in (408, 429) or answer.status >= 500:
        raise self.retry(countdown=backoff(self.request.retries, answer.retry_after))
    # Any other answer (400 bad request, 413 too large): retrying would not change it.
    logger.warning("push service refused device %s: %s", device_id, answer.status)
    return f"refused {answer.status}"
