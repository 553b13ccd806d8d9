"""What retention purges of absences (registered with ``archive.retention.register_purger`` by
``AbsenceConfig.ready``; the archive chooses the batches and writes the purge record):

- ``Category.ABSENCES``: reports older than the school's policy are deleted, open ones too.
- ``Category.ABSENCE_HEALTH`` (shorter by default): the reason of an ill or medical report is
  cleared (category and note blanked, ``reason_purged_at`` set); the report stays until its
  own category's time.

A legal hold on the pupil or on the reporting guardian keeps their reports whole. The archive's
records of reports hold no note and no health category (``absence.actions``), so there is no
archive payload to purge with them (``records_by_row = False``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any

from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from absence.models import HEALTH_REASONS, AbsenceReport
from accounts.models import School
from archive.models import LegalHold
from archive.retention import Expired


def _held(school: School, moment: datetime) -> Q:
    holds = LegalHold.objects.filter(school=school, placed_at__lte=moment).filter(
        Q(lifted_at__isnull=True) | Q(lifted_at__gt=moment))
    pupils = holds.filter(pupil__isnull=False).values("pupil_id")
    users = holds.filter(user__isnull=False).values("user_id")
    return Q(pupil_id__in=pupils) | Q(reported_by_id__in=users)


class _Purger(ABC):
    # Records of absences never carry a row's id as ``Record.message_id``: the archive must not
    # look for payloads by it (a message with the same id would lose its own).
    records_by_row = False

    @abstractmethod
    def rows(self, school: School, cutoff: datetime) -> QuerySet[AbsenceReport]:
        """The rows of this purger's category older than ``cutoff``."""

    def expired(self, school: School, cutoff: datetime, attachment_cutoff: datetime | None,
                now: datetime) -> Expired:
        rows = self.rows(school, cutoff)
        held = _held(school, now)
        return Expired(free=rows.exclude(held).order_by("pk"), held=rows.filter(held))

    def first_due(self, free: QuerySet[Any]) -> datetime | None:
        first: datetime | None = free.aggregate(first=Min("created_at"))["first"]
        return first

    def attachments(self, free: QuerySet[Any]) -> int:
        return 0


class ReportPurger(_Purger):
    def rows(self, school: School, cutoff: datetime) -> QuerySet[AbsenceReport]:
        return AbsenceReport.objects.filter(school=school, created_at__lt=cutoff)

    def delete(self, ids: list[int]) -> int:
        deleted, _ = AbsenceReport.objects.filter(pk__in=ids).delete()
        return deleted


class HealthReasonPurger(_Purger):
    def rows(self, school: School, cutoff: datetime) -> QuerySet[AbsenceReport]:
        return AbsenceReport.objects.filter(school=school, created_at__lt=cutoff,
                                            category__in=list(HEALTH_REASONS))

    def delete(self, ids: list[int]) -> int:
        return AbsenceReport.objects.filter(pk__in=ids).update(
            category="", note="", reason_purged_at=timezone.now())
