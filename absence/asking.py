"""The first-day absence call: "Is <child> with you?" to each guardian of a pupil marked
absent, not reported (:func:`absence.actions.mark_missing`).

Each guardian who may report the child absent (:func:`absence.access.guardians_to_ask`) gets an
urgent push on their devices; one whose devices all fail, or who has none, gets an e-mail
instead: push, else e-mail. Each in their own language; the link opens the report form with
the child chosen. A job carries the report's id only and reads it again when it runs: an
absence answered in the meantime asks nobody.
"""

from __future__ import annotations

import json
import logging
from functools import partial
from typing import Any

import requests
from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from absence.access import guardians_to_ask
from absence.models import AbsenceReport
from accounts.actions.invitations import send_mails
from accounts.models import User
from notifications import actions as device_actions
from notifications import push
from notifications.models import Device

logger = logging.getLogger(__name__)
GONE = (404, 410)


def answer_path(report: AbsenceReport) -> str:
    return f"{reverse('absence:report')}?pupil={report.pupil_id}"


def _link(report: AbsenceReport) -> str:
    return f"{settings.SCHOOLCHAT_BASE_URL.rstrip('/')}{answer_path(report)}"


def _question(report: AbsenceReport) -> str:
    return _("Is %(child)s with you?") % {"child": report.pupil.first_name}


def payload(report: AbsenceReport) -> dict[str, Any]:
    """What the service worker shows, in the active language."""
    return {"title": _question(report),
            "body": _("%(child)s is not at school and nobody reported an absence. Tap to "
                      "answer.") % {"child": report.pupil.first_name},
            "tag": f"absence-{report.pk}", "url": answer_path(report), "urgent": True}


def _pushed(guardian: User, report: AbsenceReport) -> bool:
    """Whether at least one of the guardian's devices took the push."""
    with translation.override(guardian.preferred_language):
        data = json.dumps(payload(report)).encode()
    delivered = False
    for device in Device.objects.filter(user=guardian).order_by("pk"):
        try:
            answer = push.send(device, data, urgency="high", topic=f"absence-{report.pk}")
        except (push.NotAllowed, requests.RequestException) as exc:
            logger.info("absence call %s: device %s not pushed: %s", report.pk, device.pk, exc)
            continue
        if answer.ok:
            delivered = True
        elif answer.status in GONE:
            device_actions.forget_gone_device(device.pk, answer.status)
    return delivered


def mail(guardian: User, report: AbsenceReport) -> EmailMessage:
    with translation.override(guardian.preferred_language):
        subject = _question(report)
        body = _("Hello %(name)s,\n\n%(child)s is not at school today and nobody reported an "
                 "absence. Is %(child)s with you? Please answer with an absence report:\n\n"
                 "%(link)s\n\nIf %(child)s should be at school, please call the school.\n") % {
            "name": guardian.public_name, "child": report.pupil.first_name,
            "link": _link(report)}
    return EmailMessage(subject, body, None, [guardian.email])


@shared_task(name="absence.ask_guardians")
def ask_guardians(report_id: int) -> dict[str, int]:
    """Ask each guardian, push else e-mail; how many were pushed and how many mailed."""
    report = (AbsenceReport.objects.select_related("pupil", "school")
              .filter(pk=report_id).first())
    told = {"pushed": 0, "mailed": 0}
    if report is None or not report.is_open:
        return told
    mails = []
    for guardian in guardians_to_ask(report.pupil).select_related("school"):
        if _pushed(guardian, report):
            told["pushed"] += 1
        elif guardian.email:
            mails.append(mail(guardian, report))
            told["mailed"] += 1
    if mails:
        send_mails(mails)
    return told


def _queue(report_id: int) -> None:
    try:
        ask_guardians.delay(report_id)
    except Exception:
        # The mark is stored and shown to the office; a broker outage costs the question.
        logger.exception("could not queue the absence call %s", report_id)


def ask_on_commit(report_id: int) -> None:
    transaction.on_commit(partial(_queue, report_id))
