"""Archive actions a person takes: legal holds, retention policies, and the audit trail of them.

Each action validates, writes, appends to the archive and writes an ``AuditEntry`` in one
transaction. Views and commands call these; they never write archive rows themselves.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.dispatch import Signal
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import Pupil, School, User
from archive import chain, scopes, sections
from archive.models import (
    AuditEntry,
    Category,
    LegalHold,
    RetentionPolicy,
    SubjectAccessExport,
)
from archive.retention import retention_days
from messaging.models import Conversation
from records import backup
from records import export as builder
from records.models import BackupRun, ReviewedExport, SearchExport
from records.search import search

# Sent after a requested export's row is committed, with ``export_id``: ``records.tasks`` queues
# the build (a signal, so that the actions need not import the Celery adapters that call them).
export_requested = Signal()

logger = logging.getLogger(__name__)


def audit(actor: User | None, action: str, *, school: Any = None, **details: Any) -> AuditEntry:
    """Note what a DPO or an administrator did. ``details`` must be JSON-serialisable."""
    school_id = getattr(school, "pk", school) or getattr(actor, "school_id", None)
    return AuditEntry.objects.create(
        school_id=school_id, actor=actor if getattr(actor, "pk", None) else None,
        action=action, details=details,
    )


def _school_of(user: User) -> School:
    """The school a permitted DPO acts for (the rules refuse a DPO without one)."""
    if user.school is None:
        raise PermissionDenied(_("You are not in a school."))
    return user.school


def _hold_subjects(hold: LegalHold) -> list[Any]:
    return [s for s in (hold.user, hold.pupil) if s is not None]


def _describe(target: Any) -> dict[str, Any]:
    if isinstance(target, User):
        return {"user": target.pk}
    if isinstance(target, Pupil):
        return {"pupil": target.pk}
    return {"conversation": target.pk}


def place_hold(dpo: User, target: User | Pupil | Model, reason: str) -> LegalHold:
    """Stop retention from purging anything concerning ``target`` (a user, a pupil or a
    conversation) until the hold is lifted."""
    if not can(dpo, "archive.hold", target):
        raise PermissionDenied(_("You cannot place legal holds."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for the hold."), code="reason")
    with transaction.atomic():
        hold = LegalHold(school=_school_of(dpo), reason=reason, placed_by=dpo)
        if isinstance(target, User):
            hold.user = target
        elif isinstance(target, Pupil):
            hold.pupil = target
        else:
            hold.conversation_id = target.pk
        hold.save()
        chain.record("hold.placed", scope=scopes.dpo(dpo.school_id), actor=dpo,
                       subjects=_hold_subjects(hold),
                       payload={"hold": hold.pk, "reason": reason, **_describe(target)})
        audit(dpo, "hold.placed", hold=hold.pk, **_describe(target))
    return hold


def lift_hold(dpo: User, hold: LegalHold, reason: str) -> LegalHold:
    """Let retention purge what the hold kept, on schedule again. The reason is required: it
    is in the ``hold.lifted`` record and in the hold's history on the DPO's page."""
    if not can(dpo, "archive.hold", hold):
        raise PermissionDenied(_("You cannot lift legal holds."))
    if not (reason or "").strip():
        raise ValidationError(_("Give the reason for lifting the hold."), code="reason")
    with transaction.atomic():
        locked = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if locked.lifted_at is not None:
            return locked
        locked.lifted_at = timezone.now()
        locked.lifted_by = dpo
        locked.lift_reason = (reason or "").strip()
        locked.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        chain.record("hold.lifted", scope=scopes.dpo(dpo.school_id), actor=dpo,
                       subjects=_hold_subjects(locked),
                       payload={"hold": locked.pk, "reason": locked.lift_reason,
                                **_describe(locked.target)})
        audit(dpo, "hold.lifted", hold=locked.pk)
    return locked


def set_retention(admin: User, school: School, days: dict[str, int]) -> None:
    if not can(admin, "archive.retention_policy", school):
        raise PermissionDenied(_("You cannot change the retention policy."))
    for category, value in days.items():
        if category not in Category.values:
            raise ValidationError(_("Unknown category."), code="category")
        if int(value) < 1:
            raise ValidationError(_("Keep records for at least one day."), code="days")
    with transaction.atomic():
        before = retention_days(school)
        changed = {c: int(v) for c, v in days.items() if before.get(c) != int(v)}
        for category, value in changed.items():
            RetentionPolicy.objects.update_or_create(
                school=school, category=category, defaults={"days": value}
            )
        if changed:
            chain.record("retention.policy_set", scope=scopes.retention(school.pk), actor=admin,
                           payload={"days": changed, "before": {c: before[c] for c in changed}})
            audit(admin, "retention.policy_set", school=school, days=changed)


# --- Subject access exports ------------------------------------------------------------------

EXPORT_LINK_HOURS = 72


def export_path(export: Any) -> Path:
    return Path(settings.MEDIA_ROOT) / "exports" / str(export.file_name)


def request_export(dpo: User, *, user: User | None = None,
                   pupil: Pupil | None = None) -> SubjectAccessExport:
    """Queue a subject access export; the Celery task builds it after this commits."""
    subject = user or pupil
    if subject is None or not can(dpo, "archive.export", subject):
        raise PermissionDenied(_("You cannot export this person's data."))
    with transaction.atomic():
        export = SubjectAccessExport.objects.create(
            school=_school_of(dpo), requested_by=dpo, subject_user=user, subject_pupil=pupil,
            file_name=f"{uuid.uuid4().hex}.zip",
        )
        audit(dpo, "export.requested", export=export.pk, **_describe(subject))
        transaction.on_commit(lambda: export_requested.send(SubjectAccessExport, export_id=export.pk))
    return export


def _archive_export(actor: User | None, school_id: int | None, subject: Any, sha256: str, messages: int,
                    export_id: int | None = None) -> None:
    chain.record("export.made", scope=scopes.dpo(school_id), actor=actor, subjects=[subject],
                   payload={"export": export_id, "sha256": sha256, "messages": messages,
                            **_describe(subject)})
    audit(actor, "export.made", school=school_id, export=export_id, sha256=sha256,
          **_describe(subject))


def run_export(export_id: int, now: datetime | None = None) -> SubjectAccessExport:
    """Build a queued export, reporting progress on its row; archive and audit the result.

    Safe to run again for the same export (a worker killed mid-run hands the task to the next
    one): an export already done is left as it is, archived once; one not done is built again
    from the start, its file replaced whole."""

    export = SubjectAccessExport.objects.select_related(
        "subject_user", "subject_pupil", "requested_by").get(pk=export_id)
    if export.status == SubjectAccessExport.Status.DONE:
        return export
    SubjectAccessExport.objects.filter(pk=export.pk).update(status=SubjectAccessExport.Status.RUNNING)

    def progress(pct: int) -> None:
        SubjectAccessExport.objects.filter(pk=export.pk).update(progress=pct)

    # Written in the language of the person it is about, who reads it (headings, names of
    # class groups, dates).
    language = export_language(export.subject_user, export.subject_pupil)
    try:
        with translation.override(language):
            if export.subject_pupil is not None:
                sha256, messages = builder.write_pupil(
                    export_path(export), export.subject_pupil, _review_of(export),
                    progress=progress, now=now)
            else:
                sha256, messages = builder.write(export_path(export), export.subject_user,
                                                 export.subject_pupil, progress=progress, now=now)
    except Exception as exc:
        SubjectAccessExport.objects.filter(pk=export.pk).update(
            status=SubjectAccessExport.Status.FAILED, error=str(exc)[:2000])
        raise
    moment = now or timezone.now()
    with transaction.atomic():
        # Re-read under a row lock: two runs of the task at once archive the export once.
        status = SubjectAccessExport.objects.select_for_update().values_list(
            "status", flat=True).get(pk=export.pk)
        if status == SubjectAccessExport.Status.DONE:
            export.refresh_from_db()
            return export
        export.status = SubjectAccessExport.Status.DONE
        export.progress = 100
        export.sha256 = sha256
        export.finished_at = moment
        export.expires_at = moment + timedelta(hours=EXPORT_LINK_HOURS)
        export.save(update_fields=["status", "progress", "sha256", "finished_at", "expires_at"])
        _archive_export(export.requested_by, export.school_id,
                        export.subject_user or export.subject_pupil, sha256, messages, export.pk)
    return export


def export_language(user: User | None, pupil: Pupil | None) -> str:
    """The language of the person an export is about: their own (User.language), a pupil's
    account's, else their school's, else the installation's."""
    account = user if user is not None else (pupil.user if pupil is not None else None)
    if account is not None:
        return account.preferred_language
    return pupil.school.preferred_language if pupil is not None else str(settings.LANGUAGE_CODE)


def export_to_file(path: Path, *, user: User | None = None, pupil: Pupil | None = None) -> str:
    """The command-line export: build straight into ``path``, archived and audited all the same."""

    subject = user or pupil
    assert subject is not None
    with translation.override(export_language(user, pupil)):
        if pupil is not None:
            # No review on the command line: every candidate, marked "not reviewed".
            sha256, messages = builder.write_pupil(path, pupil, None)
        else:
            sha256, messages = builder.write(path, user, pupil)
    with transaction.atomic():
        _archive_export(None, subject.school_id, subject, sha256, messages)
    return sha256


def expire_downloads(now: datetime | None = None) -> int:
    """Delete the files of exports whose download link has expired."""
    moment = now or timezone.now()
    gone = 0
    for export in SubjectAccessExport.objects.filter(
        status=SubjectAccessExport.Status.DONE, expires_at__lte=moment
    ).exclude(file_name=""):
        export_path(export).unlink(missing_ok=True)
        SubjectAccessExport.objects.filter(pk=export.pk).update(file_name="")
        gone += 1
    return gone


# --- A pupil's export, reviewed by the DPO -----------------------------------------------------

def review_pupil_export(dpo: User, pupil: Pupil,
                        decisions: dict[str, tuple[bool, str]]) -> SubjectAccessExport:
    """Record the DPO's decision on each thing written about ``pupil`` (include it or leave it
    out, with a reason) and queue the pupil's export, which holds the included ones.

    Every candidate found now must be decided; a decision about something no longer found
    (purged meanwhile) is dropped. The decisions are archived (``export.reviewed``)."""
    if not can(dpo, "archive.review_export", pupil):
        raise PermissionDenied(_("You cannot export this pupil's data."))
    found = [c.key for _section, candidates in sections.gather(pupil) for c in candidates]
    if any(key not in decisions for key in found):
        raise ValidationError(_("Decide on every item: include it or leave it out."),
                              code="undecided")
    if any(not decisions[key][1].strip() for key in found):
        raise ValidationError(_("Give a reason for every decision."), code="reason")
    decided = {key: {"include": decisions[key][0], "reason": decisions[key][1].strip()}
               for key in found}
    included = sum(1 for d in decided.values() if d["include"])
    with transaction.atomic():
        export = SubjectAccessExport.objects.create(
            school=_school_of(dpo), requested_by=dpo, subject_pupil=pupil,
            file_name=f"{uuid.uuid4().hex}.zip")
        ReviewedExport.objects.create(export=export, reviewed_by=dpo, decisions=decided)
        chain.record("export.reviewed", scope=scopes.dpo(dpo.school_id), actor=dpo,
                       subjects=[pupil], payload={"export": export.pk, "pupil": pupil.pk,
                                                  "decisions": decided})
        audit(dpo, "export.reviewed", export=export.pk, pupil=pupil.pk, included=included,
              left_out=len(decided) - included)
        transaction.on_commit(lambda: export_requested.send(SubjectAccessExport,
                                                            export_id=export.pk))
    return export


def _review_of(export: SubjectAccessExport) -> builder.Review | None:
    """The DPO's decisions an export is built from; None for one nobody reviewed."""
    review = ReviewedExport.objects.filter(export=export).first()
    if review is None:
        return None
    return builder.Review({key: (bool(d.get("include")), str(d.get("reason", "")))
                           for key, d in review.decisions.items()},
                          by=review.reviewed_by_id, at=review.reviewed_at)


# --- The DPO's search export: a worker job streaming to its file ------------------------------

SEARCH_EXPORT_LIMIT = 10000

# Sent after a requested search export's row is committed, with ``export_id``.
search_export_requested = Signal()


def search_export_path(export: SearchExport) -> Path:
    return Path(settings.MEDIA_ROOT) / "exports" / export.file_name


def describe_criteria(criteria: dict[str, Any]) -> dict[str, Any]:
    """A search's criteria as ids and text, as archived, audited and kept on the export."""
    return {k: (getattr(v, "pk", None) or str(v)) for k, v in criteria.items() if v}


def request_search_export(dpo: User, criteria: dict[str, Any]) -> SearchExport:
    """Queue the export of a records search (FOIA, FERPA); the worker builds it after this
    commits and the exports page offers it for download."""
    if not can(dpo, "archive.search", dpo.school):
        raise PermissionDenied(_("You cannot search the archive."))
    described = describe_criteria(criteria)
    with transaction.atomic():
        export = SearchExport.objects.create(school=_school_of(dpo), requested_by=dpo,
                                             criteria=described,
                                             file_name=f"{uuid.uuid4().hex}.zip")
        audit(dpo, "search.export_requested", search_export=export.pk, **described)
        transaction.on_commit(lambda: search_export_requested.send(SearchExport,
                                                                   export_id=export.pk))
    return export


def _criteria_of(school: School, described: dict[str, Any]) -> dict[str, Any]:
    """The search's arguments back from the ids and text kept on the export."""
    found: dict[str, Any] = {}
    for key, model in (("person", User), ("pupil", Pupil), ("conversation", Conversation)):
        if described.get(key):
            found[key] = model._default_manager.get(pk=described[key], school=school)
    for key in ("date_from", "date_to"):
        if described.get(key):
            found[key] = date.fromisoformat(str(described[key]))
    if described.get("text"):
        found["text"] = str(described["text"])
    return found


def run_search_export(export_id: int, now: datetime | None = None) -> SearchExport:
    """Build a queued search export into its file (streamed, mode 0600), archive and audit it.
    Safe to run again, as :func:`run_export`."""
    export = SearchExport.objects.select_related("school", "requested_by").get(pk=export_id)
    if export.status == SearchExport.Status.DONE:
        return export
    SearchExport.objects.filter(pk=export.pk).update(status=SearchExport.Status.RUNNING)
    try:
        found = search(export.school, **_criteria_of(export.school, export.criteria))
        newest = list(found.values_list("pk", "conversation_id", "position")[:SEARCH_EXPORT_LIMIT])
        ids = [pk for pk, _c, _p in sorted(newest, key=lambda r: (r[1] or 0, r[2]))]
        with translation.override(export.requested_by.preferred_language):
            sha256, messages = builder.write_search(search_export_path(export), ids,
                                                    export.criteria, now=now)
    except Exception as exc:
        SearchExport.objects.filter(pk=export.pk).update(status=SearchExport.Status.FAILED,
                                                         error=str(exc)[:2000])
        raise
    moment = now or timezone.now()
    with transaction.atomic():
        status = SearchExport.objects.select_for_update().values_list(
            "status", flat=True).get(pk=export.pk)
        if status == SearchExport.Status.DONE:
            export.refresh_from_db()
            return export
        SearchExport.objects.filter(pk=export.pk).update(
            status=SearchExport.Status.DONE, sha256=sha256, messages=messages,
            finished_at=moment, expires_at=moment + timedelta(hours=EXPORT_LINK_HOURS))
        subjects = [v for k, v in _criteria_of(export.school, export.criteria).items()
                    if k in ("person", "pupil")]
        chain.record("export.made", scope=scopes.dpo(export.school_id),
                       actor=export.requested_by, subjects=subjects,
                       payload={"search": export.criteria, "search_export": export.pk,
                                "sha256": sha256, "messages": messages})
        audit(export.requested_by, "search.exported", school=export.school_id,
              search_export=export.pk, sha256=sha256, messages=messages, **export.criteria)
    export.refresh_from_db()
    return export


def expire_search_downloads(now: datetime | None = None) -> int:
    """Delete the files of search exports whose download link has expired."""
    moment = now or timezone.now()
    gone = 0
    for export in SearchExport.objects.filter(
            status=SearchExport.Status.DONE, expires_at__lte=moment).exclude(file_name=""):
        search_export_path(export).unlink(missing_ok=True)
        SearchExport.objects.filter(pk=export.pk).update(file_name="")
        gone += 1
    return gone


# --- Backups and drills (records/backup.py makes and reads the files) -------------------------

def _note_run(run: BackupRun, payload: dict[str, Any]) -> BackupRun:
    """Store how a backup or a drill ended, and archive it (the operator's scope)."""
    with transaction.atomic():
        run.save()
        chain.record("backup.drilled" if run.kind == BackupRun.Kind.DRILL else "backup.made",
                       scope=scopes.school(None), payload={"run": run.pk, "ok": run.ok, **payload})
    return run


def back_up(*, recipients: list[str] | None = None, out: Path | None = None,
            now: datetime | None = None) -> BackupRun:
    """Write an encrypted backup and note how it went; a failure is noted, not raised.

    Without ``out`` the file goes into ``SCHOOLCHAT_BACKUP_DIR`` and that folder is rotated
    (``SCHOOLCHAT_BACKUP_KEEP``) once the new file is complete; with ``out`` nothing is rotated.
    """
    keys = recipients or list(settings.SCHOOLCHAT_BACKUP_RECIPIENTS)
    folder = Path(settings.SCHOOLCHAT_BACKUP_DIR)
    target = out or folder / backup.file_name(now or timezone.now())
    try:
        keep = backup.parse_keep(settings.SCHOOLCHAT_BACKUP_KEEP)
        made = backup.write(keys, target)
        if out is None:
            backup.rotate(folder, keep)
    except Exception as exc:  # every failure is noted: a backup that failed must show
        logger.exception("backup to %s failed", target)
        reason = str(exc) if isinstance(exc, backup.BackupError | OSError) else repr(exc)
        return _note_run(BackupRun(kind=BackupRun.Kind.BACKUP, ok=False, file_name=str(target),
                                   error=reason[:2000]),
                         {"error": reason[:2000]})
    run = BackupRun(kind=BackupRun.Kind.BACKUP, ok=True, file_name=str(made.path), size=made.size,
                    sha256=made.sha256, counts=made.manifest["counts"])
    return _note_run(run, {"file": made.path.name, "size": made.size,
                                          "sha256": made.sha256})


def drill(*, path: Path | None = None, identity: Path | None = None,
          scratch_name: str | None = None,
          say: Callable[[str], None] = lambda line: None) -> BackupRun:
    """Run the restore drill (``records.backup.drill``) and note whether it passed."""
    try:
        counts = backup.drill(path=path, identity=identity, scratch_name=scratch_name, say=say)
    except Exception as exc:  # a drill that cannot run has failed, and must say so
        logger.exception("restore drill failed")
        reason = str(exc) if isinstance(exc, backup.BackupError | OSError) else repr(exc)
        return _note_run(BackupRun(kind=BackupRun.Kind.DRILL, ok=False, error=reason[:2000],
                                   file_name=str(path or "")),
                         {"error": reason[:2000]})
    return _note_run(BackupRun(kind=BackupRun.Kind.DRILL, ok=True, counts=counts,
                               file_name=str(path or "")),
                     {"counts": counts})
