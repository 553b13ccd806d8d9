"""Push jobs, on the ``push`` queue (CELERY_TASK_ROUTES).

``notify`` finds who is told about a message and makes the first try itself: it posts to all
their devices at once, over up to ``push.POOL_SIZE`` connections per push service (one thread
each, so one device's encryption runs while another's request is on the wire), and records the
successes with two statements. Only a device whose push service was busy or down gets a job of
its own, ``deliver``, retried on its own with back-off. One job per device for every push cost
the queue's round trips per device: about 10x a plain loop of the same POSTs for a class
announcement (``make bench``, docs/performance.md).

A job carries ids (the device's, the message's), never the rendered payload: each try, the first
and every retry, reads the message and the school's lock-screen policy again
(``recipients.pushable``) and renders the payload just before it is sent, so a message removed,
retracted, held or marked sensitive in between is not pushed, and a school that turned the
excerpt off is obeyed from the next try on. The broker (Redis) never holds a message's text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any
from urllib.parse import urlsplit

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
AGAIN = (408, 429)  # with 5xx and a service that could not be reached: tried again

# Outcomes of one try, also the labels of ``schoolchat_push_results_total``.
SENT = "sent"
REMOVED = "removed"  # the subscription is gone (404/410): the device is deleted
RETRIED = "retried"
REFUSED = "refused"  # another 4xx: the same request would get the same answer
REDIRECTED = "redirected"  # a 3xx: never followed, not retried, the device kept
NOT_ALLOWED = "not_allowed"  # the push service is no longer on SCHOOLCHAT_PUSH_SERVICES
SKIPPED = "skipped"  # a retry of what may no longer be pushed (removed, retracted, ...)


def backoff(retries: int, retry_after: int | None) -> int:
    """Seconds before the next try: the service's Retry-After, else 30 s doubling to ~30 min."""
    if retry_after is not None:
        return min(retry_after, 3600)
    return min(30 * 2**retries, 1800)


def _urgency(message: Message, reminder: bool) -> str:
    return "high" if message.urgent and not reminder else "normal"


def _topic(message: Message, reminder: bool, mentions_reader: bool = False) -> str:
    if reminder:
        return f"ack-reminder-{message.pk}"
    if mentions_reader:
        return recipients.mention_topic(message.pk)
    return recipients.topic(message.conversation_id)


def _render(message: Message, reminder: bool, mentions_reader: bool = False) -> dict[str, Any]:
    """The payload: a reminder's, or the message's (for one it mentions, saying so)."""
    if reminder:
        return recipients.reminder_payload(message)
    return recipients.payload(message, mentions_reader=mentions_reader)


@shared_task(name="notifications.notify")
def notify(conversation_id: int, message_id: int) -> int:
    message = recipients.pushable(message_id, conversation_id)
    if message is None:
        return 0
    targets = recipients.devices(message)
    send_all(targets, message)
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


def _outcome(device: Device, answer: push.Answer) -> str:
    if answer.ok:
        return SENT
    if answer.redirect:
        # A push service answers a push, it does not send it elsewhere: following a Location
        # would post the payload to a host nobody allowed. Not transient either, so no retry;
        # not "gone", so the device stays (a later push may be answered properly).
        logger.warning("push service redirected device %s (%s to %s); not followed",
                       device.pk, answer.status, urlsplit(answer.location).netloc or "nowhere")
        return REDIRECTED
    if answer.status in GONE:
        return REMOVED
    if answer.status in AGAIN or answer.status >= 500:
        return RETRIED
    # Any other answer (400 bad request, 413 too large): retrying would not change it.
    logger.warning("push service refused device %s: %s", device.pk, answer.status)
    return REFUSED


def _try(device: Device, data: bytes, urgency: str, topic: str
         ) -> tuple[str, push.Answer | None]:
    """One push: its outcome, and the push service's answer when there was one."""
    try:
        answer = push.send(device, data, urgency=urgency, topic=topic)
    except push.NotAllowed:
        logger.warning("device %s: its push service is not on SCHOOLCHAT_PUSH_SERVICES any "
                       "more; not pushed", device.pk)
        return NOT_ALLOWED, None
    except requests.RequestException as exc:
        logger.info("push service unreachable for device %s: %s", device.pk, exc)
        return RETRIED, None
    return _outcome(device, answer), answer


def send_all(devices: Sequence[Device], message: Message, *, reminder: bool = False
             ) -> dict[str, int]:
    """The first try for each device, concurrently, with the payload rendered now (in each
    person's language, and saying so to those the message mentions); a ``deliver`` job for each
    that should be tried again. Counts of what happened, by outcome."""
    if not devices:
        return {}
    urgency = _urgency(message, reminder)
    named = set() if reminder else recipients.mentioned(message)
    work: list[tuple[Device, bytes, str]] = []
    for mentions_reader in (False, True):
        told = [device for device in devices if (device.user_id in named) is mentions_reader]
        topic = _topic(message, reminder, mentions_reader)
        render = partial(_render, message, reminder, mentions_reader)
        work += [(device, json.dumps(body).encode(), topic)
                 for group, body in _in_each_language(told, render) for device in group]
    with ThreadPoolExecutor(max_workers=min(push.POOL_SIZE, len(work))) as pool:
        tries = list(pool.map(lambda item: _try(item[0], item[1], urgency, item[2]), work))
    sent = [device for (device, _data, _where), (kind, _answer) in zip(work, tries, strict=True)
            if kind == SENT]
    actions.mark_delivered_many(sent, conversation_id=message.conversation_id,
                                seq=None if reminder else message.seq)
    outcome: dict[str, int] = {}
    for (device, _data, _where), (kind, answer) in zip(work, tries, strict=True):
        if kind == RETRIED:
            deliver.apply_async((device.pk, message.pk),
                                {"user_id": device.user_id, "reminder": reminder},
                                countdown=backoff(0, answer.retry_after if answer else None))
        elif kind == REMOVED and answer is not None:
            actions.forget_gone_device(device.pk, answer.status)
        outcome[kind] = outcome.get(kind, 0) + 1
    for kind, count in outcome.items():
        metrics.PUSH_RESULTS.labels(kind).inc(count)
    return outcome


@shared_task(name="notifications.notify_messages")
def notify_messages(conversation_id: int, message_ids: list[int]) -> int:
    """:func:`notify` for each message one commit stored, in order."""
    return sum(notify(conversation_id, message_id) for message_id in message_ids)


@shared_task(name="notifications.remind")
def remind(message_id: int, user_ids: list[int]) -> int:
    """Push an acknowledgement reminder to the devices of the guardians it went to."""
    message = recipients.pushable(message_id)
    if message is None:
        return 0
    targets = recipients.reminded_devices(message, user_ids)
    send_all(targets, message, reminder=True)
    return len(targets)


def _still_told(device_id: int, user_id: int, message: Message, reminder: bool
                ) -> Device | None:
    """The device, if it still belongs to ``user_id`` and would be pushed this message now:
    its person still a member, not muted, not in quiet time, not looking at the conversation
    (or, for a reminder, not having acknowledged)."""
    if reminder:
        found = recipients.reminded_devices(message, [user_id], device_ids=[device_id])
    else:
        found = recipients.devices(message, device_ids=[device_id])
    return next((device for device in found if device.user_id == user_id), None)


@shared_task(name="notifications.deliver", bind=True, max_retries=MAX_RETRIES, acks_late=True)
def deliver(self: Task, device_id: int, message_id: Any, *, user_id: int = 0,
            reminder: bool = False, **earlier: Any) -> str:
    """One push of message ``message_id`` (or its acknowledgement reminder) to one device of
    ``user_id``, again after the first try failed. Reads the message, the school's policy and
    the device's person afresh and renders the payload now; what may no longer be pushed is
    skipped."""
    if not isinstance(message_id, int):
        # A job queued by an earlier release carries the rendered payload, whose text may have
        # been removed since: dropped, as a removed message would be.
        logger.info("dropped a push retry for device %s queued with its payload", device_id)
        metrics.PUSH_RESULTS.labels(SKIPPED).inc()
        return SKIPPED
    message = recipients.pushable(message_id, retry=True)
    device = (_still_told(device_id, user_id, message, reminder) if message is not None
              else None)
    if message is None or device is None:
        # Removed, retracted, held or marked sensitive since; or the device went (logout, a
        # leaver, 410) or moved to another person, its person left, muted the conversation,
        # or is now in their quiet time.
        metrics.PUSH_RESULTS.labels(SKIPPED).inc()
        return SKIPPED
    mentions_reader = not reminder and device.user_id in recipients.mentioned(message)
    with translation.override(device.user.preferred_language):
        data = json.dumps(_render(message, reminder, mentions_reader)).encode()
    kind, answer = _try(device, data, _urgency(message, reminder),
                        _topic(message, reminder, mentions_reader))
    metrics.PUSH_RESULTS.labels(kind).inc()
    if kind == RETRIED:
        retry_after = answer.retry_after if answer is not None else None
        raise self.retry(countdown=backoff(self.request.retries, retry_after))
    if kind == SENT:
        actions.mark_delivered(device, conversation_id=message.conversation_id,
                               seq=None if reminder else message.seq)
    elif kind == REMOVED and answer is not None:
        actions.forget_gone_device(device_id, answer.status)
    return kind
