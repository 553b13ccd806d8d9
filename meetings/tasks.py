"""Telling families about their meetings: the reminder the day before (beat), a moved meeting.

Each guardian who may see the booking is told in their own language: a push to their devices
(``notifications.push``), else, when they have none or none accepted it, an e-mail. The lock
screen shows the teacher and the time, never the child's name. A job carries booking ids only
and reads them again when it runs, so a booking cancelled meanwhile is not announced.
"""

from __future__ import annotations

import json
import logging

import requests
from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.actions.invitations import send_mails
from accounts.models import School, User
from meetings.access import responsible_guardianships
from meetings.actions import reminders
from meetings.models import Booking
from notifications import push
from notifications.models import Device

logger = logging.getLogger(__name__)


def guardians_of(booking: Booking) -> list[User]:
    """Who is told about a booking: its holder in a round "per guardian", else every guardian
    of the child with parental responsibility and no contact ban; active accounts only."""
    ids = responsible_guardianships().filter(pupil_id=booking.pupil_id).values("guardian_id")
    people = User.objects.filter(pk__in=ids, is_active=True).select_related("school")
    if booking.holder:
        people = people.filter(pk=booking.holder)
    return list(people.order_by("pk"))


def _texts(booking: Booking, what: str) -> tuple[str, str]:
    """The title and the line, in the active language and the school's time zone."""
    slot = booking.slot
    with timezone.override(booking.round.school.time_zone):
        moment = formats.date_format(timezone.localtime(slot.starts_at), "l j E H:i")
    values = {"title": booking.round.title, "when": moment,
              "teacher": booking.teacher.public_name, "place": slot.room or booking.round.place}
    if what == "moved":
        return (_("Your meeting was moved"),
                _("%(title)s: your meeting with %(teacher)s is now %(when)s.") % values)
    return (_("Your meeting is tomorrow"),
            _("%(title)s: %(when)s with %(teacher)s.") % values)


def _pushed(person: User, booking: Booking, title: str, body: str) -> bool:
    """Whether at least one of the person's devices accepted the push."""
    data = json.dumps({"title": title, "body": body, "tag": f"meeting-{booking.pk}",
                       "url": reverse("meetings:round", args=[booking.round_id]),
                       "urgent": False}).encode()
    accepted = False
    for device in Device.objects.filter(user=person).order_by("pk"):
        try:
            answer = push.send(device, data, urgency="normal", topic=f"meeting-{booking.pk}")
        except (push.NotAllowed, requests.RequestException) as exc:
            logger.info("meeting push to device %s not sent: %s", device.pk, exc)
            continue
        accepted = accepted or answer.ok
    return accepted


def _mail(person: User, booking: Booking, title: str, body: str) -> EmailMessage:
    # Absolute with SCHOOLCHAT_BASE_URL set, as the digest's links are.
    link = settings.SCHOOLCHAT_BASE_URL.rstrip("/") + reverse("meetings:round",
                                                              args=[booking.round_id])
    text = _("Hello %(name)s,\n\n%(line)s\n\nYour bookings: %(link)s\n") % {
        "name": person.public_name, "line": body, "link": link}
    return EmailMessage(title, text, None, [person.email])


@shared_task(name="meetings.tell")
def tell(booking_ids: list[int], what: str) -> int:
    """Tell the families of these live bookings (``what``: "moved" or "reminder"); how many
    people were told."""
    mails: list[EmailMessage] = []
    told = 0
    for booking in (Booking.objects.filter(pk__in=booking_ids, cancelled_at__isnull=True)
                    .select_related("slot", "round__school", "teacher").order_by("pk")):
        for person in guardians_of(booking):
            with translation.override(person.preferred_language):
                title, body = _texts(booking, what)
                if _pushed(person, booking, title, body):
                    told += 1
                elif person.email:
                    mails.append(_mail(person, booking, title, body))
                    told += 1
    if mails:
        send_mails(mails)
    return told


@shared_task(name="meetings.send_reminders")
def send_reminders() -> int:
    """Every school's meetings of tomorrow, reminded once (run hourly by beat)."""
    return sum(reminders.remind_tomorrow(school) for school in School.objects.order_by("pk"))


def queue_telling(sender: object, booking_ids: list[int], what: str, **kwargs: object) -> None:
    """``meetings.signals.families_to_tell``, after a commit: a job for the worker."""
    try:
        tell.delay(booking_ids, what)
    except Exception:
        # The change is stored and on every open page; a broker outage costs the message.
        logger.exception("could not queue telling the families of bookings %s", booking_ids)
