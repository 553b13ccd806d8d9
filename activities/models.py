"""Activities: an event or a trip that staff announce in one or more class groups or a group,
the replies per child, and the reminders sent about them.

A trip's permission slip is not stored here: it is a one-off ``consent.ConsentPurpose`` with its
own versioned ``ConsentForm`` text, and every signature or withdrawal is an append-only
``ConsentRecord`` (docs/activities.md, "Permission slips").
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Activity(models.Model):
    """An event or a trip (never "Event": that is messaging's event log)."""

    class Kind(models.TextChoices):
        EVENT = "event", _("Event")
        TRIP = "trip", _("Trip")

    class SlipRule(models.TextChoices):
        ANY = "any", _("Any parent with parental responsibility may sign")
        ALL = "all", _("Every parent with parental responsibility must sign")

    school = models.ForeignKey("accounts.School", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.EVENT)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    bring = models.TextField(_("what to bring"), blank=True)
    # Shown to families, never collected here.
    cost = models.CharField(_("cost"), max_length=100, blank=True)
    reply_by = models.DateTimeField(_("reply by"))
    # Where it is announced: class groups, or one group. Its children are the children these
    # conversations concern (messaging.access.concerned_pupils).
    conversations = models.ManyToManyField("messaging.Conversation", related_name="+")
    # A trip's permission slip: a one-off consent purpose; null when no slip is asked.
    slip = models.OneToOneField("consent.ConsentPurpose", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")
    slip_rule = models.CharField(_("who signs"), max_length=3, choices=SlipRule.choices,
                                 default=SlipRule.ANY)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["starts_at", "pk"]
        indexes = [
            # Uses: activities.calendar.between and the retention purger (by end).
            models.Index(fields=["school", "starts_at"], name="activity_school_start"),
            models.Index(fields=["school", "ends_at"], name="activity_school_end"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                   name="activity_ends_after_start"),
            models.CheckConstraint(condition=models.Q(reply_by__lte=models.F("starts_at")),
                                   name="activity_reply_by_before_start"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def card_ref(self) -> str:
        """What the announcing messages store in ``Message.card`` (messaging.cards.ref)."""
        return f"activity:{self.pk}"


class Rsvp(models.Model):
    """One child's reply to an activity, given by a guardian. A new reply replaces the old one
    here; the archive keeps every reply (``activity.replied``)."""

    class Answer(models.TextChoices):
        COMING = "coming", _("Coming")
        NOT_COMING = "not_coming", _("Not coming")
        MAYBE = "maybe", _("Maybe")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="rsvps")
    pupil = models.ForeignKey("accounts.Pupil", on_delete=models.CASCADE, related_name="+")
    answer = models.CharField(_("answer"), max_length=12, choices=Answer.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        constraints = [
            models.UniqueConstraint(fields=["activity", "pupil"], name="activity_rsvp_one_per_child"),
        ]


class ActivityReminder(models.Model):
    """A reminder staff sent to the families who have not replied or signed: at most one per
    activity per school day (the constraint holds it against two presses at once)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="reminders")
    day = models.DateField()
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="+")
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["activity", "day"], name="activity_reminder_once_a_day"),
        ]
