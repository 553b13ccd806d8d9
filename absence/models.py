"""Absences: a guardian's report that their child is away, and the teacher's "absent, not
reported" (the first-day absence call), in one row per absence (docs/absence.md).

A row is made by whichever comes first. A guardian's report fills ``reported_by`` and
``reported_at``; a teacher marking a pupil missing fills ``marked_by`` and ``marked_at`` and
leaves the report part empty until a guardian answers, which fills it in on the same row. So
"open" (marked, not yet answered) is one condition on one table, and retention purges one
table (``absence.retention``).

The reason of the categories ill and medical is health data: retention clears it earlier than
the report (``Category.ABSENCE_HEALTH``), leaving ``category`` blank and ``reason_purged_at``
set. The archive's records of a report never hold its reason's note, and name a health
category only as "health".
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Pupil, School, SchoolClass

DEFAULT_CUTOFF = time(8, 30)


class Reason(models.TextChoices):
    ILL = "ill", _("Ill")
    MEDICAL = "medical", _("Medical appointment")
    FAMILY = "family", _("Family reasons")
    OTHER = "other", _("Other")


# The reasons that are health data: their own retention category, seen by fewer people.
HEALTH_REASONS: frozenset[str] = frozenset({Reason.ILL, Reason.MEDICAL})


class AbsenceSettings(models.Model):
    """A school's absence settings; a school without a row has the defaults."""

    school = models.OneToOneField(School, on_delete=models.CASCADE,
                                  related_name="absence_settings")
    cutoff = models.TimeField(
        _("reports after this time are late"), default=DEFAULT_CUTOFF,
        help_text=_("On the first day of the absence, in the school's time zone."))

    class Meta:
        verbose_name = _("absence settings")
        verbose_name_plural = _("absence settings")


class ClassTeacher(models.Model):
    """The one member of a class's staff who is its class teacher: they (with the office) see
    why a pupil is absent; the class's other staff (subject teachers) see only that they are.
    A class without one treats every member of its staff as its class teacher."""

    school_class = models.OneToOneField(SchoolClass, on_delete=models.CASCADE,
                                        related_name="absence_class_teacher")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")


class AbsenceReport(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="absence_reports")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    # A part of one day: both set, on a report whose first and last day are the same.
    from_time = models.TimeField(_("from (time)"), null=True, blank=True)
    until_time = models.TimeField(_("until (time)"), null=True, blank=True)
    # Blank while a marked absence waits for its answer, and once retention cleared a health
    # reason (``reason_purged_at``).
    category = models.CharField(_("reason"), max_length=10, choices=Reason.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    reason_purged_at = models.DateTimeField(null=True, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    reported_at = models.DateTimeField(null=True, blank=True)
    # Reported after the school's cut-off time on its first day.
    late = models.BooleanField(default=False)
    # "Absent, not reported": the teacher who marked the pupil missing, and when.
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+")
    marked_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                        null=True, blank=True, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")),
                                   name="absence_report_ends_after_start"),
            models.CheckConstraint(
                condition=Q(from_time__isnull=True, until_time__isnull=True)
                | Q(from_time__isnull=False, until_time__isnull=False,
                    ends_on=models.F("starts_on"), until_time__gt=models.F("from_time")),
                name="absence_report_part_of_one_day"),
            models.CheckConstraint(
                condition=Q(reported_at__isnull=False) | Q(marked_at__isnull=False),
                name="absence_report_reported_or_marked"),
            # A pupil is marked missing once a day.
            models.UniqueConstraint(fields=["pupil", "starts_on"],
                                    condition=Q(marked_at__isnull=False),
                                    name="absence_report_marked_once_a_day"),
        ]
        indexes = [
            # Uses index: the day's list and the CSV (reports of a school around a day).
            models.Index(fields=["school", "starts_on", "ends_on"], name="absence_school_days"),
            # Uses index: retention (a school's reports by age).
            models.Index(fields=["school", "created_at"], name="absence_school_created"),
        ]

    @property
    def is_open(self) -> bool:
        """Marked missing by the school, not (yet) answered by a guardian."""
        return self.marked_at is not None and self.reported_at is None

    @property
    def is_health(self) -> bool:
        return self.category in HEALTH_REASONS

    @property
    def part_of_day(self) -> bool:
        return self.from_time is not None
