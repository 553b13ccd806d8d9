"""Push jobs, on the ``push`` queue (CELERY_TASK_ROUTES).

``notify`` finds who is told about a message and makes the first try itself: it posts to all
their devices at once, over up to ``push.POOL_SIZE`` connections per push service (one thread
each, so one device's encryption runs while another's request is on the wire), and records the
successes with two statements. Only a device whose push service was busy or down gets a job of
its own, ``deliver``, retried on its own with back-off. One job per device for every push cost
the queue's round trips per device: about 10x a plain loop of the same POSTs for a class
announcement (``make bench``, docs/performance.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from celery import Task, shared_task
from django.utils import translation

from messaging.models import Message
from notifications import actions, push, recipients
from notifications.models import Device
from observability import metrics

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
    if message is None or message.is_gone or message.is_held:
        return 0
    urgency = "high" if message.urgent else "normal"
    targets = recipients.devices(message)
    for devices, body in _in_each_language(targets, lambda: recipients.payload(message)):
        send_all(devices, body, urgency=urgency, topic=recipients.topic(conversation_id),
                 seq=message.seq)
    # What the members have read since the last push here is no longer any digest's business.
    actions.forget_read_pushes(conversation_id)
    return len(targets)


def _in_each_language(devices: Sequence[Device], render: Callable[[], dict[str, Any]]
                      ) -> list[tuple[list[Device], dict[str, Any]]]:
    """The devices grouped by their person's language, each group with the payload rendered
    once in that language: everyone is notified in their own."""
    groups: dict[str, list[Device]] = {}
    for device in devices:
        groups.setdefault(device.user.preferred_language, []).append(device)
    batches = []
    for language, group in groups.items():
        with translation.override(language):
            batches.append((group, render()))
    return batches


def _try(device: Device, data: bytes, urgency: str, topic: str) -> push.Answer | None:
    """One push; None when the push service could not be reached."""
    try:
        return push.send(device, data, urgency=urgency, topic=topic)
    except requests.RequestException as exc:
        logger.info("push service unreachable for device %s: %s", device.pk, exc)
        return None


def send_all(devices: Sequence[Device], body: dict[str, Any], *, urgency: str, topic: str,
             seq: int | None) -> dict[str, int]:
    """The first try for each device, concurrently; a ``deliver`` job for each that should be
    tried again. Counts of what happened, by outcome."""
    if not devices:
        return {}
    data = json.dumps(body).encode()
    with ThreadPoolExecutor(max_workers=min(push.POOL_SIZE, len(devices))) as pool:
        answers = list(pool.map(lambda device: _try(device, data, urgency, topic), devices))
    sent = [d for d, a in zip(devices, answers, strict=True)
            if a is not None and 200 <= a.status < 300]
    actions.mark_delivered_many(sent, conversation_id=body.get("conversation"), seq=seq)
    outcome = {"sent": len(sent)}
    for device, answer in zip(devices, answers, strict=True):
        if answer is not None and 200 <= answer.status < 300:
            continue
        if answer is None or answer.status in (408, 429) or answer.status >= 500:
            deliver.apply_async(
                (device.pk, body), {"urgency": urgency, "topic": topic, "seq": seq},
                countdown=backoff(0, answer.retry_after if answer else None))
            kind = "retried"
        elif answer.status in GONE:
            actions.forget_gone_device(device.pk, answer.status)
            kind = "removed"
        else:
            logger.warning("push service refused device %s: %s", device.pk, answer.status)
            kind = "refused"
        outcome[kind] = outcome.get(kind, 0) + 1
    for kind, count in outcome.items():
        if count:
            metrics.PUSH_RESULTS.labels(kind).inc(count)
    return outcome


@shared_task(name="notifications.notify_messages")
def notify_messages(conversation_id: int, message_ids: list[int]) -> int:
    """:func:`notify` for each message one commit stored, in order."""
    return sum(notify(conversation_id, message_id) for message_id in message_ids)


@shared_task(name="notifications.remind")
def remind(message_id: int, user_ids: list[int]) -> int:
    """Push an acknowledgement reminder to the devices of the guardians it went to."""
    message = (Message.objects.select_related("sender", "conversation__school")
               .filter(pk=message_id).first())
    if message is None or message.is_gone or message.is_held:
        return 0
    targets = recipients.reminded_devices(message, user_ids)
    for devices, body in _in_each_language(targets, lambda: recipients.reminder_payload(message)):
        for device in devices:
            deliver.delay(device.pk, body, urgency="normal", topic=f"ack-reminder-{message.pk}")
    return len(targets)


@shared_task(name="notifications.deliver", bind=True, max_retries=MAX_RETRIES, acks_late=True)
def deliver(self: Task, device_id: int, body: dict[str, Any], *, urgency: str, topic: str,
            seq: int | None = None) -> str:
    """One push to one device, again after ``notify``'s first try failed. ``seq``, the
    message's (absent in jobs queued by an older release), is recorded on success so that the
    person's e-mail digest leaves it out."""
    device = Device.objects.filter(pk=device_id).first()
    if device is None:
        return "gone"  # removed (logout, leaver, 410) since the job was queued
    try:
        answer = push.send(device, json.dumps(body).encode(), urgency=urgency, topic=topic)
    except requests.RequestException as exc:
        metrics.PUSH_RESULTS.labels("retried").inc()
        raise self.retry(exc=exc, countdown=backoff(self.request.retries, None)) from exc
    if 200 <= answer.status < 300:
        actions.mark_delivered(device, conversation_id=body.get("conversation"), seq=seq)
        metrics.PUSH_RESULTS.labels("sent").inc()
        return "sent"
    if answer.status in GONE:
        actions.forget_gone_device(device_id, answer.status)
        metrics.PUSH_RESULTS.labels("removed").inc()
        return "removed"
    if answer.status in (408, 429) or answer.status >= 500:
        metrics.PUSH_RESULTS.labels("retried").inc()
        raise self.retry(countdown=backoff(self.request.retries, answer.retry_after))
    # Any other answer (400 bad request, 413 too large): retrying would not change it.
    logger.warning("push service refused device %s: %s", device_id, answer.status)
    metrics.PUSH_RESULTS.labels("refused").inc()
    return f"refused {answer.status}"
