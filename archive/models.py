"""Archive rows.

Records, their subjects and purge entries are never updated or deleted, and payloads are never
updated: database triggers (migration 0002, see docs/archive.md) refuse it on PostgreSQL and
SQLite alike. A payload may be deleted only once a purge record lists it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PUPIL_MODEL = "accounts.Pupil"  # the archive names other apps' models, never imports them
SCHOOL_MODEL = "accounts.School"
PURGE_KIND = "purge.done"
SEAL_KIND = "archive.sealed"


class Chain(models.Model):
    """The head of one scope's chain; its row lock serialises writers to that scope only."""

    scope = models.CharField(max_length=100, primary_key=True)
    length = models.PositiveBigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, default="0" * 64)


class Record(models.Model):
    scope = models.CharField(max_length=100)
    position = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=50)
    created_at = models.DateTimeField()
    # No database constraint: an archive row must outlive the account it mentions.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False,
        null=True, blank=True, related_name="+",
    )
    subject_user_ids = models.JSONField(default=list)
    subject_pupil_ids = models.JSONField(default=list)
    # Derived from the scope and the payload when appended, so search, retention and subject
    # access find a conversation's or a message's records without reading payloads.
    conversation_id = models.BigIntegerField(null=True, blank=True)
    message_id = models.BigIntegerField(null=True, blank=True)
    payload_hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("archive record")
        constraints = [
            models.UniqueConstraint(fields=["scope", "position"], name="archive_record_scope_position")
        ]
        indexes = [
            models.Index(fields=["kind", "created_at"], name="archive_record_kind_time"),
            # Uses index: subject access (records in a conversation during a membership period).
            models.Index(fields=["conversation_id", "created_at"], name="archive_record_conv_time"),
            # Uses index: subject access (what a person did) and the DPO search by person.
            models.Index(fields=["actor", "created_at"], name="archive_record_actor_time"),
            # Uses index: retention (the record of a purged message).
            models.Index(fields=["message_id"], name="archive_record_message"),
            # Uses index: the DPO's search, newest first (records.search): a word in many
            # messages walks this backwards and stops at the page's limit, instead of sorting
            # every match; a rare word is found through the payloads' trigram index.
            models.Index(fields=["created_at", "id"], name="archive_record_time"),
        ]


class Subject(models.Model):
    """Who a record concerns, indexed for subject access (one row per user or pupil)."""

    record = models.ForeignKey(Record, on_delete=models.DO_NOTHING, db_constraint=False,
                               related_name="subjects")
    user_id = models.BigIntegerField(null=True)
    pupil_id = models.BigIntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["user_id"], name="archive_subject_user"),
            models.Index(fields=["pupil_id"], name="archive_subject_pupil"),
        ]


class Payload(models.Model):
    record = models.OneToOneField(Record, on_delete=models.DO_NOTHING, db_constraint=False,
                                  primary_key=True, related_name="payload")
    content = models.JSONField()
    # The content's "body" (a message's text) folded for search (archive.folding), written
    # with the payload and, like it, never updated; empty when the content has no body. Not
    # part of the hash: it is derived from the content. Uses index: archive_payload_folded_trgm
    # (PostgreSQL only, migration 0006), the DPO's text search.
    folded = models.TextField(default="", blank=True, editable=False)


class PurgedPayload(models.Model):
    """Insert-only: the purge record under which a payload was deleted.

    The payload-delete trigger looks here: without a row naming a ``purge.done`` record, the
    database refuses to delete the payload.
    """

    record = models.OneToOneField(Record, on_delete=models.DO_NOTHING, db_constraint=False,
                                  primary_key=True, related_name="purge")
    purge_record = models.ForeignKey(Record, on_delete=models.DO_NOTHING, db_constraint=False,
                                     related_name="+")


class AuditEntry(models.Model):
    """What a DPO (or an admin command) did: every view, search, export, hold and policy change."""

    school = models.ForeignKey(SCHOOL_MODEL, on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+")
    action = models.CharField(_("action"), max_length=60)
    details = models.JSONField(_("details"), default=dict)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["school", "at"], name="archive_audit_school_time")]


class Category(models.TextChoices):
    CHAT = "chat", _("Group and class chat")
    DIRECT = "direct", _("One-to-one chat")
    ANNOUNCEMENTS = "announcements", _("Announcements")
    ATTACHMENTS = "attachments", _("Photos and attachments")
    CONSENT = "consent", _("Consent records (after the pupil leaves)")
    AUDIT = "audit", _("Audit log")
    # After this many days a leaver's account is anonymised (records.erasure): contact details
    # and profile deleted, a pseudonym in what is kept.
    LEAVERS = "leavers", _("Accounts of people who left")
    # The apps of a school's week (docs/archive.md, "Retention"): each owns its rows and
    # registers their purger (archive.retention.register_purger).
    ABSENCES = "absences", _("Absence reports")
    # The reason of an absence reported as illness or a medical appointment is health data,
    # kept for less time than the report itself.
    ABSENCE_HEALTH = "absence_health", _("Health reasons of absences")
    MEETINGS = "meetings", _("Parent-teacher meeting bookings")
    ACTIVITIES = "activities", _("Activities, replies and permission slips")
    POLLS = "polls", _("Polls and votes")


DEFAULT_RETENTION_DAYS: dict[str, int] = {
    Category.CHAT: 400,
    Category.DIRECT: 400,
    Category.ANNOUNCEMENTS: 730,
    Category.ATTACHMENTS: 400,
    Category.CONSENT: 2190,
    Category.AUDIT: 2190,
    Category.LEAVERS: 365,
    Category.ABSENCES: 730,
    Category.ABSENCE_HEALTH: 365,
    Category.MEETINGS: 365,
    Category.ACTIVITIES: 730,
    Category.POLLS: 400,
}


class RetentionPolicy(models.Model):
    school = models.ForeignKey(SCHOOL_MODEL, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    days = models.PositiveIntegerField(_("days kept"))

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")
        constraints = [
            models.UniqueConstraint(fields=["school", "category"],
                                    name="archive_retention_one_per_category"),
            models.CheckConstraint(condition=Q(days__gte=1), name="archive_retention_days_positive"),
        ]


class LegalHold(models.Model):
    """While active (not lifted), nothing concerning its target is purged."""

    school = models.ForeignKey(SCHOOL_MODEL, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                             blank=True, related_name="+", verbose_name=_("person"))
    pupil = models.ForeignKey(PUPIL_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("pupil"))
    conversation = models.ForeignKey("messaging.Conversation", on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("conversation"))
    reason = models.TextField(_("reason"))
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    placed_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(_("reason for lifting"), blank=True)

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(user__isnull=False, pupil__isnull=True, conversation__isnull=True)
                    | Q(user__isnull=True, pupil__isnull=False, conversation__isnull=True)
                    | Q(user__isnull=True, pupil__isnull=True, conversation__isnull=False)
                ),
                name="archive_hold_exactly_one_target",
            )
        ]

    @property
    def target(self) -> object:
        return self.user or self.pupil or self.conversation


class SubjectAccessExport(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("in progress")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    school = models.ForeignKey(SCHOOL_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")
    subject_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")
    subject_pupil = models.ForeignKey(PUPIL_MODEL, on_delete=models.PROTECT, null=True,
                                      blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("subject access export")
        constraints = [
            models.CheckConstraint(
                condition=Q(subject_user__isnull=False) | Q(subject_pupil__isnull=False),
                name="archive_export_has_subject",
            )
        ]

    def is_downloadable(self, now: object = None) -> bool:
        moment = now or timezone.now()
        return (self.status == self.Status.DONE and self.expires_at is not None
                and self.expires_at > moment)  # type: ignore[operator]
