"""The pushes of an activity's reminder, on the worker (``docs/activities.md``, "Reminders").

Each guardian's devices get "Reminder: <title>" in the guardian's language, tagged per activity
so a second reminder replaces the first on the lock screen. A push that fails is logged, not
retried: the reminder is recorded, and the guardian sees the waiting card in the chat.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import requests
from celery import shared_task
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from activities.models import Activity
from notifications import push
from notifications.models import Device

logger = logging.getLogger(__name__)


def payload(activity: Activity) -> dict[str, Any]:
    """The push, in the active language: the title only, never a child's name."""
    return {"title": _("Reminder: %(title)s") % {"title": activity.title},
            "body": (_("Please reply and sign the permission slip.") if activity.slip_id
                     else _("Please reply.")),
            "tag": f"activity-reminder-{activity.pk}",
            "url": reverse("activities:detail", args=[activity.pk]), "urgent": False}


@shared_task(name="activities.push_reminder")
def push_reminder(activity_id: int, user_ids: list[int]) -> int:
    activity = Activity.objects.filter(pk=activity_id).first()
    if activity is None:
        return 0
    sent = 0
    for device in Device.objects.filter(user_id__in=user_ids).select_related("user__school"):
        with translation.override(device.user.preferred_language):
            data = json.dumps(payload(activity)).encode()
        try:
            answer = push.send(device, data, urgency="normal", topic=f"activity-{activity.pk}")
        except (push.NotAllowed, requests.RequestException):
            logger.info("activity reminder not pushed to device %s", device.pk)
            continue
        sent += int(answer.ok)
    return sent


def on_reminder_sent(sender: Any, activity_id: int, user_ids: list[int], **kwargs: Any) -> None:
    """After a reminder's commit: queue its pushes (a broker outage costs only the push)."""
    try:
        push_reminder.delay(activity_id, user_ids)
    except Exception:
        logger.exception("could not queue the push reminders for activity %s", activity_id)
