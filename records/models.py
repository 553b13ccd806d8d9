"""What the records office keeps about its own work: the outcome of each backup and drill."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


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
