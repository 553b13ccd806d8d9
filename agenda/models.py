"""Each person's calendar: what the school's apps register about them (agenda.sources), the
school's holidays, and the secret address of their calendar feed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

NAME_MAX_CHARS = 100


class Holiday(models.Model):
    """A school holiday (or a day off) the admin enters: on every calendar of the school."""

    school = models.ForeignKey("accounts.School", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=NAME_MAX_CHARS)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_on", "pk"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")),
                                              name="agenda_holiday_ends_after_start")]

    def __str__(self) -> str:
        return self.name


class FeedAddress(models.Model):
    """The secret address of one person's calendar feed. Only its SHA-256 is kept: the address
    is shown once, when made; renewing makes a new one and the old one stops working."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
