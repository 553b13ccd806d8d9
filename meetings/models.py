"""Parents' evenings: a round of meetings, its slots (one teacher, one time) and the bookings.

A slot holds at most one booking: the constraint ``meetings_booking_one_per_slot`` says so to
the database itself, so two families pressing the same slot at the same instant cannot both
have it, whatever the Python above it does (docs/meetings.md, "First come, first served").
A cancelled booking is kept (with ``cancelled_at``) for the record and no longer counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Pupil, School, SchoolClass

# Families with more than one child in a round may book this long before everyone else, when
# the round says so.
SIBLINGS_HEAD_START = timedelta(days=1)


class MeetingRound(models.Model):
    class Per(models.TextChoices):
        FAMILY = "family", _("One booking per family")
        GUARDIAN = "guardian", _("One booking per guardian")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="meeting_rounds")
    title = models.CharField(_("title"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    classes = models.ManyToManyField(SchoolClass, related_name="meeting_rounds",
                                     verbose_name=_("classes"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    video_link = models.URLField(_("video link"), blank=True)
    slot_minutes = models.PositiveSmallIntegerField(_("minutes per meeting"))
    opens_at = models.DateTimeField(_("booking opens"))
    closes_at = models.DateTimeField(_("booking closes"))
    change_deadline = models.DateTimeField(_("changes and cancellations until"))
    per = models.CharField(_("bookings"), max_length=10, choices=Per.choices, default=Per.FAMILY)
    siblings_early = models.BooleanField(_("families with several children may book a day early"),
                                         default=False)

    class Meta:
        verbose_name = _("parents' evening")
        verbose_name_plural = _("parents' evenings")
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")),
                                   name="meetings_round_closes_after_opening"),
        ]

    def __str__(self) -> str:
        return self.title

    def opens_for(self, siblings: bool) -> datetime:
        """When a family may start booking: a day early for several children, if allowed."""
        if siblings and self.siblings_early:
            return self.opens_at - SIBLINGS_HEAD_START
        return self.opens_at


class MeetingSlot(models.Model):
    round = models.ForeignKey(MeetingRound, on_delete=models.CASCADE, related_name="slots")
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="meeting_slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    room = models.CharField(_("room"), max_length=100, blank=True)
    # A teacher took the slot out (a break of their own): nobody can book it.
    blocked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "teacher", "starts_at"],
                                    name="meetings_slot_one_per_teacher_and_time"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")),
                                   name="meetings_slot_ends_after_start"),
        ]
        indexes = [
            # Uses index: a round's slot list and a teacher's schedule, in time order.
            models.Index(fields=["round", "teacher", "starts_at"], name="meetings_slot_schedule"),
            # Uses index: a teacher's calendar feed (meetings.queries.between).
            models.Index(fields=["teacher", "starts_at"], name="meetings_slot_teacher_time"),
        ]


class Booking(models.Model):
    slot = models.ForeignKey(MeetingSlot, on_delete=models.CASCADE, related_name="bookings")
    # Copied from the slot, so that the constraints below can name them.
    round = models.ForeignKey(MeetingRound, on_delete=models.CASCADE, related_name="bookings")
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="+")
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="meeting_bookings")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, related_name="meeting_bookings")
    # Whose booking it is for the round's "one per" rule: 0 for the family (either guardian's),
    # the guardian's id where each guardian books their own.
    holder = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # First come, first served: a slot holds at most one live booking.
            models.UniqueConstraint(fields=["slot"], condition=Q(cancelled_at__isnull=True),
                                    name="meetings_booking_one_per_slot"),
            # One slot per child per teacher (per family, or per guardian where the round says).
            models.UniqueConstraint(fields=["round", "pupil", "teacher", "holder"],
                                    condition=Q(cancelled_at__isnull=True),
                                    name="meetings_booking_one_per_child_and_teacher"),
        ]
        indexes = [
            # Uses index: a family's bookings, a pupil's export.
            models.Index(fields=["pupil", "round"], name="meetings_booking_pupil"),
            # Uses index: retention (bookings by age).
            models.Index(fields=["created_at"], name="meetings_booking_created"),
        ]

    @property
    def live(self) -> bool:
        return self.cancelled_at is None


class CalendarFeed(models.Model):
    """A teacher's private calendar address. Only a hash of its secret is stored: the address is
    shown once, when it is made or renewed, and renewing it ends the old one."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="meeting_feed")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
