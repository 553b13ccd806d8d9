"""What the school's safeguarding lead works from: reports people make, flags the screen raises,
the patterns it looks for, the school's settings, and the lead's notes about pupils.

What the lead *does* (removals, restrictions, reviews of held messages) is messaging's
mechanics (:mod:`messaging.actions.moderation`); this app records why and by whom in its own
archive chain (:func:`archive.scopes.safeguarding`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    OPEN = "open", _("Open")
    DISMISSED = "dismissed", _("Dismissed")
    ACTIONED = "actioned", _("Action taken")


class QueueItem(models.Model):
    """What a report and a flag share: open in the lead's queue until someone handles it."""

    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Report(QueueItem):
    """A member's report about a message or a person. The reported person is never told who
    reported them; the lead sees the reporter, the reporter sees their own reports' state."""

    class Reason(models.TextChoices):
        BULLYING = "bullying", _("Bullying")
        INAPPROPRIATE = "inappropriate", _("Inappropriate content")
        WORRY = "worry", _("Worried about a child")
        PERSONAL_DATA = "personal_data", _("Personal data shared")
        OTHER = "other", _("Something else")

    school = models.ForeignKey("accounts.School", on_delete=models.PROTECT, related_name="+")
    # A message report names its message and its sender; a person report the person only.
    message = models.ForeignKey("messaging.Message", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="safeguarding_reports")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        indexes = [
            # Uses index: the lead's queue (a school's open reports).
            models.Index(fields=["school", "created_at"], name="safeguarding_report_open",
                         condition=Q(state="open")),
        ]


class Flag(QueueItem):
    """A message the school's patterns matched. A flag never blocks the message; a pupil's
    message may be held as well where the school holds them (:class:`SafeguardingSettings`)."""

    class Category(models.TextChoices):
        SELF_HARM = "self_harm", _("Self-harm")
        BULLYING = "bullying", _("Bullying")
        SEXUAL = "sexual", _("Sexual content")
        PERSONAL_DATA = "personal_data", _("Personal data")

    school = models.ForeignKey("accounts.School", on_delete=models.PROTECT, related_name="+")
    message = models.ForeignKey("messaging.Message", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    pattern = models.ForeignKey("safeguarding.Pattern", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    # The words that matched, as written (shown to the lead only).
    matched = models.CharField(_("matched"), max_length=200)

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        indexes = [
            # Uses index: the lead's queue (a school's open flags).
            models.Index(fields=["school", "created_at"], name="safeguarding_flag_open",
                         condition=Q(state="open")),
        ]


class Pattern(models.Model):
    """What the screen looks for: words (a phrase, matched as whole words, any case) or a
    regular expression. Each school gets the defaults of :mod:`safeguarding.defaults`."""

    class Language(models.TextChoices):
        EN = "en", "English"
        NL = "nl", "Nederlands"
        RU = "ru", "Русский"

    class Kind(models.TextChoices):
        WORDS = "words", _("Words")
        REGEX = "regex", _("Regular expression")

    school = models.ForeignKey("accounts.School", on_delete=models.CASCADE, related_name="+")
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    category = models.CharField(_("category"), max_length=20, choices=Flag.Category.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.WORDS)
    text = models.CharField(_("text"), max_length=300)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("pattern")
        verbose_name_plural = _("patterns")
        constraints = [
            models.UniqueConstraint(fields=["school", "language", "category", "kind", "text"],
                                    name="safeguarding_pattern_unique"),
        ]

    def __str__(self) -> str:
        return self.text


class SafeguardingSettings(models.Model):
    """One school's choices: whether a pupil's matching message waits for review, and the
    web addresses whose links are never taken for personal data."""

    school = models.OneToOneField("accounts.School", on_delete=models.CASCADE,
                                  related_name="+")
    hold_pupil_messages = models.BooleanField(
        _("hold pupils' messages that match until reviewed"), default=False)
    # Host names, one a line: "school.example" allows it and its subdomains.
    allowed_url_hosts = models.TextField(_("allowed web addresses"), blank=True)

    class Meta:
        verbose_name = _("safeguarding settings")
        verbose_name_plural = _("safeguarding settings")

    def hosts(self) -> list[str]:
        return [h.strip().lower().rstrip(".") for h in self.allowed_url_hosts.split()
                if h.strip()]


class CaseNote(models.Model):
    """A lead's note about a pupil: seen by the school's safeguarding leads only."""

    school = models.ForeignKey("accounts.School", on_delete=models.PROTECT, related_name="+")
    pupil = models.ForeignKey("accounts.Pupil", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    text = models.TextField(_("note"))
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")
        ordering = ["-created", "-pk"]
