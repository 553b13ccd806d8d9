"""What retention purges of the activities' rows (``Category.ACTIVITIES``, 730 days by
default): an activity, its replies and reminders go that many days after it ended, unless a
legal hold keeps it (a hold on one of its conversations, on its creator or a guardian who
replied, or on a pupil it concerned through a reply). Its archive records stay (the chains
still verify); the signatures are consent records, kept under the consent policy.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import School
from activities.models import Activity, ActivityReminder, Rsvp
from archive.models import Category, LegalHold
from archive.retention import Expired, register_purger


def _holds(school: School, moment: datetime) -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(school=school, placed_at__lte=moment).filter(
        Q(lifted_at__isnull=True) | Q(lifted_at__gt=moment))


class ActivityPurger:
    def expired(self, school: School, cutoff: datetime, attachment_cutoff: datetime | None,
                now: datetime) -> Expired:
        old = Activity.objects.filter(school=school, ends_at__lt=cutoff)
        holds = _holds(school, now)
        kept = Q(pk__in=[])
        conversations = [c for c in holds.values_list("conversation_id", flat=True) if c]
        users = [u for u in holds.values_list("user_id", flat=True) if u]
        pupils = [p for p in holds.values_list("pupil_id", flat=True) if p]
        if conversations:
            kept |= Q(conversations__in=conversations)
        if users:
            kept |= Q(created_by_id__in=users) | Q(
                pk__in=Rsvp.objects.filter(by_id__in=users).values("activity_id"))
        if pupils:
            kept |= Q(pk__in=Rsvp.objects.filter(pupil_id__in=pupils).values("activity_id"))
        held = old.filter(kept).distinct()
        return Expired(free=old.exclude(pk__in=held.values("pk")).order_by("pk"), held=held)

    def first_due(self, free: QuerySet[Any]) -> datetime | None:
        first = free.order_by("ends_at").values_list("ends_at", flat=True).first()
        return first if isinstance(first, datetime) else None

    def attachments(self, free: QuerySet[Any]) -> int:
        return 0

    def delete(self, ids: list[int]) -> int:
        Rsvp.objects.filter(activity_id__in=ids).delete()
        ActivityReminder.objects.filter(activity_id__in=ids).delete()
        Activity.conversations.through.objects.filter(activity_id__in=ids).delete()
        deleted, _ = Activity.objects.filter(pk__in=ids).delete()
        return int(deleted)


def register() -> None:
    """From ``ActivitiesConfig.ready``."""
    register_purger(Category.ACTIVITIES, ActivityPurger())
