"""Polls: a staff member asks a class group or an announcement channel a question with options.

A poll is announced by a message carrying its live card (messaging/cards.py). Each person, or
each family when the poll says so, holds one :class:`Ballot` (their latest choice stands and may
change until the poll closes); a ballot's :class:`Vote` rows are its chosen options. An anonymous
poll stores the same rows, so a voter can change their choice, but nothing shows or archives
who chose what: its pages and records give counts and who voted only (docs/polls.md).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

QUESTION_MAX_CHARS = 300
OPTION_MAX_CHARS = 100
MIN_OPTIONS = 2
MAX_OPTIONS = 10


class Poll(models.Model):
    class Results(models.TextChoices):
        ASKER = "asker", _("Only to me")
        AFTER_VOTE = "after_vote", _("To members once they have voted")
        AFTER_CLOSE = "after_close", _("To members once the poll has closed")

    school = models.ForeignKey("accounts.School", on_delete=models.PROTECT, related_name="+")
    conversation = models.ForeignKey("messaging.Conversation", on_delete=models.PROTECT,
                                     related_name="+")
    # The message announcing it, with the card; gone when chat retention purges it.
    message = models.OneToOneField("messaging.Message", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    asker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("asked by"))
    question = models.CharField(_("question"), max_length=QUESTION_MAX_CHARS)
    multiple = models.BooleanField(_("several answers allowed"), default=False)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    # One answer per family (the guardians of a child share one) or one per person.
    per_family = models.BooleanField(_("one answer per family"), default=True)
    results = models.CharField(_("results shown"), max_length=20, choices=Results.choices,
                               default=Results.AFTER_VOTE)
    closes_at = models.DateTimeField(_("closes"))
    closed_at = models.DateTimeField(_("closed early"), null=True, blank=True)
    # Set when the closing counts were archived (by the asker's close or the closing task).
    counted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("poll")
        verbose_name_plural = _("polls")
        indexes = [models.Index(fields=["school", "closes_at"], name="polls_school_closes")]

    def __str__(self) -> str:
        return self.question

    def is_closed(self, now: datetime | None = None) -> bool:
        return self.closed_at is not None or (now or timezone.now()) >= self.closes_at

    @property
    def ends_at(self) -> datetime:
        """When it closed or will close."""
        return self.closed_at if self.closed_at is not None else self.closes_at


class PollOption(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(_("option"), max_length=OPTION_MAX_CHARS)

    class Meta:
        ordering = ["poll", "position"]
        constraints = [models.UniqueConstraint(fields=["poll", "position"],
                                               name="polls_option_position")]

    def __str__(self) -> str:
        return self.text


class Ballot(models.Model):
    """One person's or one family's answer to a poll; the latest choice stands."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="ballots")
    # "user:<id>" or "family:<pupil id>" (polls.access.ballot_key): one ballot per key.
    key = models.CharField(max_length=40)
    # Who cast it last (in a family, either guardian).
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    cast_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "key"], name="polls_one_ballot")]


class Vote(models.Model):
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="votes")
    option = models.ForeignKey(PollOption, on_delete=models.CASCADE, related_name="votes")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ballot", "option"],
                                               name="polls_one_vote_per_option")]
