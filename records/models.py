"""What the records office keeps about its own work: the outcome of each backup and drill, and
the erasure requests the DPO records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from archive.models import SubjectAccessExport


class BackupRun(models.Model):
    """One backup or restore drill and how it ended; ``records.backup.status()`` reads these.

    Kept in the database, not beside the files, so the web process (``/healthz``, the admin's
    dashboard) sees what the worker did on another machine.
    """

    class Kind(models.TextChoices):
        BACKUP = "backup", "backup"
        DRILL = "drill", "restore drill"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    finished_at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField()
    file_name = models.CharField(max_length=500, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    # A drill's counts restored (users, messages, records, files).
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            # Uses: records.backup.status (the newest run of each kind, the newest good backup).
            models.Index(fields=["kind", "-finished_at"], name="records_backuprun_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.finished_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'failed'}"


class ErasureRequest(models.Model):
    """A person's request to be forgotten, as the DPO recorded it, and what became of it.

    Erasing (``records.erasure.erase``) deletes what the school need not keep and gives the
    person a pseudonym in everything kept; the archive is never changed, only added to (an
    ``account.erased`` record names the pseudonymised subject). A leaver whose account the
    school no longer keeps is anonymised the same way, with a request the system records.
    """

    class State(models.TextChoices):
        REQUESTED = "requested", _("waiting for confirmation")
        ERASED = "erased", _("erased")
        WITHDRAWN = "withdrawn", _("withdrawn")

    school = models.ForeignKey("accounts.School", on_delete=models.PROTECT, related_name="+")
    # The account to erase; null for a pupil without an account (then ``pupil`` is the subject).
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+", verbose_name=_("person"))
    # The pupil record erased with the account (a pupil's own), or alone (a pupil without one).
    pupil = models.ForeignKey("accounts.Pupil", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("pupil"))
    # Null for the automatic anonymisation of a leaver after the school's period.
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.REQUESTED)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    # What the erasure deleted, counted (shown on the request's page).
    erased = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        constraints = [
            # A person is erased once: a second request waits beside no other open one.
            models.UniqueConstraint(fields=["person"], condition=Q(state="requested"),
                                    name="records_erasure_one_open_per_person"),
            models.UniqueConstraint(fields=["person"], condition=Q(state="erased"),
                                    name="records_erasure_once_per_person"),
            models.UniqueConstraint(fields=["pupil"], condition=Q(state="requested"),
                                    name="records_erasure_one_open_per_pupil"),
            models.UniqueConstraint(fields=["pupil"], condition=Q(state="erased"),
                                    name="records_erasure_once_per_pupil"),
            models.CheckConstraint(condition=Q(person__isnull=False) | Q(pupil__isnull=False),
                                   name="records_erasure_has_subject"),
        ]
        indexes = [
            # Uses index: the DPO's list of requests (newest first).
            models.Index(fields=["school", "-requested_at"], name="records_erasure_school_time"),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.state}"

    @property
    def subject_name(self) -> str:
        """The name pages show: the account's, or the pupil record's (a pseudonym once erased)."""
        if self.person is not None:
            return self.person.public_name
        return str(self.pupil)


class ReviewedExport(models.Model):
    """The DPO's decisions on what was written about a pupil (``archive.sections``), made on
    the review page before the pupil's subject access export is built from them. The same
    decisions are archived (``export.reviewed``); this row is what the build reads."""

    export = models.OneToOneField("archive.SubjectAccessExport", on_delete=models.PROTECT,
                                  related_name="+")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(default=timezone.now)
    # candidate key ("message:12") -> {"include": bool, "reason": str}
    decisions = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"review of export {self.export_id}"


class SearchExport(models.Model):
    """A records search (FOIA, FERPA) the DPO exported: built by the worker into a file,
    downloaded from the exports page like a subject access export, until its link expires."""

    Status = SubjectAccessExport.Status

    school = models.ForeignKey("accounts.School", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    # The search's criteria as ids and text ({"text": "late", "pupil": 4}).
    criteria = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=SubjectAccessExport.Status.choices,
                              default=SubjectAccessExport.Status.PENDING)
    file_name = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    messages = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Uses index: the DPO's exports page (newest first).
            models.Index(fields=["school", "-created_at"], name="records_searchexport_time"),
        ]

    def __str__(self) -> str:
        return f"search export {self.pk} {self.status}"

    def is_downloadable(self, now: object = None) -> bool:
        moment = now or timezone.now()
        return (self.status == SubjectAccessExport.Status.DONE and self.expires_at is not None
                and self.expires_at > moment)  # type: ignore[operator]
