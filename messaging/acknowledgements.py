"""Who has acknowledged a message, counted by family (read-side; the writers are
:func:`messaging.actions.receipts.acknowledge` and :mod:`messaging.actions.reminders`).

A family is a pupil the conversation concerns (:func:`messaging.access.concerned_pupils`: a
class group's current pupils; elsewhere the currently enrolled children of its members) with
that pupil's guardians who are current members. Either guardian's acknowledgement counts for
the family, so a family is reminded only while none of its guardians has acknowledged. Staff
are never "not acknowledged yet": they pass the message on, they are not its audience.
Members in no family who are not staff (a pupil's own account, a parent whose child has left)
are listed on their own. A guardian whose account awaits its invitation still makes the family
count (it has not acknowledged), but is not reminded: they cannot sign in yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import ngettext

from accounts.models import Guardianship, Pupil, School, User
from messaging.access import concerned_pupils
from messaging.models import Acknowledgement, AcknowledgementReminder, Conversation, Message


@dataclass(frozen=True)
class Acknowledged:
    user: User
    at: datetime


@dataclass
class Family:
    pupil: Pupil
    guardians: list[User]
    acknowledged: list[Acknowledged] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.pupil.first_name} {self.pupil.last_name}".strip()

    @property
    def done(self) -> bool:
        return bool(self.acknowledged)


@dataclass
class Other:
    """A member who is neither staff nor in a family."""

    user: User
    at: datetime | None


@dataclass
class Overview:
    families: list[Family]
    others: list[Other]

    @property
    def done(self) -> list[Family]:
        return [f for f in self.families if f.done]

    @property
    def pending(self) -> list[Family]:
        return [f for f in self.families if not f.done]

    def to_remind(self) -> list[User]:
        """The guardians of the families that have not acknowledged, each once, by name; only
        those who can sign in (an account still awaiting its invitation cannot acknowledge)."""
        people = {g.pk: g for family in self.pending for g in family.guardians if g.is_active}
        return sorted(people.values(), key=lambda u: (u.public_name, u.pk))


def overview(message: Message) -> Overview:
    """The families of ``message``'s conversation and who of each acknowledged it, when."""
    conversation = message.conversation
    members = {
        u.pk: u for u in User.objects.filter(
            memberships__conversation=conversation, memberships__ended_at__isnull=True,
            left_at__isnull=True,
        ).exclude(pk=message.sender_id).distinct().select_related("school")  # mail language
    }
    acks = dict(Acknowledgement.objects.filter(message=message)
                .values_list("user_id", "acknowledged_at"))
    pupils = {p.pk: p for p in concerned_pupils(conversation)}
    links = (Guardianship.objects.filter(pupil_id__in=list(pupils), guardian_id__in=list(members))
             .values_list("pupil_id", "guardian_id"))
    guardians: dict[int, list[User]] = {}
    for pupil_id, guardian_id in links:
        guardians.setdefault(pupil_id, []).append(members[guardian_id])
    families = []
    for pupil_id, people in guardians.items():
        people.sort(key=lambda u: (u.public_name, u.pk))
        done = sorted((Acknowledged(u, acks[u.pk]) for u in people if u.pk in acks),
                      key=lambda a: a.at)
        families.append(Family(pupils[pupil_id], people, done))
    families.sort(key=lambda f: (f.pupil.first_name, f.pupil.last_name, f.pupil.pk))
    in_family = {g.pk for people in guardians.values() for g in people}
    others = [Other(u, acks.get(u.pk)) for u in members.values()
              if u.pk not in in_family and not u.is_school_staff]
    others.sort(key=lambda o: (o.user.public_name, o.user.pk))
    return Overview(families, others)


def family_counts(conversation: Conversation, sender_id: int,
                  message_ids: list[int]) -> dict[int, tuple[int, int]]:
    """For each of ``message_ids`` (messages ``sender_id`` sent in ``conversation`` that asked
    to be acknowledged): (families that acknowledged, families), counted as :func:`overview`
    counts them. One query per table whatever the number of messages, for the bubbles' "3 of
    25 families"; a message none of the ids names is 0 of the families."""
    members = set(User.objects.filter(
        memberships__conversation=conversation, memberships__ended_at__isnull=True,
        left_at__isnull=True).exclude(pk=sender_id).values_list("pk", flat=True))
    pupils = list(concerned_pupils(conversation).values_list("pk", flat=True))
    families: dict[int, set[int]] = {}
    for pupil_id, guardian_id in (Guardianship.objects
                                  .filter(pupil_id__in=pupils, guardian_id__in=list(members))
                                  .values_list("pupil_id", "guardian_id")):
        families.setdefault(pupil_id, set()).add(guardian_id)
    acked: dict[int, set[int]] = {}
    for message_id, user_id in (Acknowledgement.objects.filter(message_id__in=message_ids)
                                .values_list("message_id", "user_id")):
        acked.setdefault(message_id, set()).add(user_id)
    return {pk: (sum(1 for people in families.values() if people & acked.get(pk, set())),
                 len(families)) for pk in message_ids}


def count_text(acknowledged: int, families: int) -> str:
    """ "3 of 25 families": what a message's bubble says to staff."""
    return ngettext("%(n)d of %(total)d family", "%(n)d of %(total)d families",
                    families) % {"n": acknowledged, "total": families}


def school_day(school: School, at: datetime | None = None) -> date:
    """The calendar day at ``at`` (now) in the school's time zone: what "once a day" means."""
    try:
        zone = ZoneInfo(school.time_zone or settings.TIME_ZONE)
    except (KeyError, ValueError):
        zone = ZoneInfo(settings.TIME_ZONE)
    return timezone.localtime(at or timezone.now(), zone).date()


def last_reminder(message: Message) -> AcknowledgementReminder | None:
    return (AcknowledgementReminder.objects.filter(message=message).select_related("sent_by")
            .order_by("-sent_at").first())


def reminded_today(message: Message, at: datetime | None = None) -> bool:
    """Whether the families were already reminded of ``message`` today (the school's day)."""
    day = school_day(message.conversation.school, at)
    # Uses index: messaging_ackreminder_once_a_day.
    return AcknowledgementReminder.objects.filter(message=message, day=day).exists()

