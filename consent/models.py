"""Consent on record: purposes, versioned form texts, requests and append-only decisions.

A decision is never changed or removed: a withdrawal or a change of mind is a new
:class:`ConsentRecord`. The database refuses UPDATE and DELETE on the record table (triggers
created by migration 0003, see :mod:`consent.guard`).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PurposeQuerySet(models.QuerySet["ConsentPurpose"]):
    def standing(self) -> PurposeQuerySet:
        """The school's standing purposes: what the consent pages, the coverage and the
        guardians' pending list show. One-off purposes (a trip's permission slip) are asked and
        shown where they belong, by the app that made them."""
        return self.filter(one_off=False)


class ConsentPurpose(models.Model):
    """What a guardian is asked about, per school. ``code`` is one of the constants in
    :mod:`consent`; ``name`` and ``description`` are stored in English and translated on display
    (the seeded defaults are in the message catalogue). A one-off purpose (``one_off``) is asked
    once, about one thing (a trip's permission slip, ``activities``): its name is what staff
    typed, and it stays off the school's consent pages."""

    school = models.ForeignKey("accounts.School", on_delete=models.CASCADE, related_name="+")
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    one_off = models.BooleanField(_("one-off"), default=False)

    objects = PurposeQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent purpose")
        verbose_name_plural = _("consent purposes")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["school", "code"], name="consent_purpose_unique_code")
        ]

    def __str__(self) -> str:
        return self.name

    def current_form(self) -> ConsentForm | None:
        """The newest published version: the text guardians decide on now."""
        return self.forms.filter(published_at__lte=timezone.now()).order_by("-version").first()


class ConsentForm(models.Model):
    """One version of a purpose's text. Every version is kept; a new version asks again."""

    purpose = models.ForeignKey(ConsentPurpose, on_delete=models.PROTECT, related_name="forms")
    version = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published at"), default=timezone.now)

    class Meta:
        verbose_name = _("consent form")
        verbose_name_plural = _("consent forms")
        constraints = [
            models.UniqueConstraint(fields=["purpose", "version"], name="consent_form_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.purpose} v{self.version}"

    @property
    def text_hash(self) -> str:
        """SHA-256 of the exact text a guardian decided on; the archive keeps this hash."""
        return hashlib.sha256(self.text.encode()).hexdigest()


class ConsentRequest(models.Model):
    """Staff asked a class's guardians to decide on a purpose. Guardians of the class's pupils
    see it as pending until someone with parental responsibility decides on the current form."""

    school_class = models.ForeignKey("accounts.SchoolClass", on_delete=models.CASCADE,
                                     related_name="+")
    purpose = models.ForeignKey(ConsentPurpose, on_delete=models.CASCADE, related_name="requests")
    form = models.ForeignKey(ConsentForm, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("consent request")
        verbose_name_plural = _("consent requests")
        indexes = [
            # Uses: consent.services.pending_for_guardian (requests of the pupil's classes).
            models.Index(fields=["school_class", "purpose"], name="consent_request_class"),
        ]


class ConsentRecord(models.Model):
    class Decision(models.TextChoices):
        GRANTED = "granted", _("granted")
        REFUSED = "refused", _("refused")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class Method(models.TextChoices):
        APP = "app", _("in the app")
        PAPER = "paper", _("on paper")

    pupil = models.ForeignKey("accounts.Pupil", on_delete=models.PROTECT, related_name="+")
    guardian = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+")
    form = models.ForeignKey(ConsentForm, on_delete=models.PROTECT, related_name="records")
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices,
                              default=Method.APP)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    # When the decision took effect: the moment it was recorded (for paper, when staff entered
    # it), so that has_consent(at=...) for a past moment never changes after the fact.
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)
    # Paper only: the date the guardian signed the form.
    signed_on = models.DateField(_("signed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        indexes = [
            # Uses: consent.services.has_consent / states (latest decision per pupil).
            models.Index(fields=["pupil", "decided_at"], name="consent_record_pupil_time")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(method="app", signed_on__isnull=True)
                | models.Q(method="paper", signed_on__isnull=False),
                name="consent_record_paper_has_signed_on",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pupil} {self.form} {self.decision}"
