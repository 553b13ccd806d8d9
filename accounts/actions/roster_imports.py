"""Roster imports as worker jobs: queue one, run it, report how far it has come.

The admin's page checks the file (a dry run, in the request) and then queues the very same
text as a :class:`~accounts.models.RosterImport`; the Celery worker applies it with
:func:`accounts.roster.import_roster` (every change through the usual actions, archived, in
one transaction) and writes its progress and result on the row, which the page reads. One
import at a time per school. A failed import changed nothing (its transaction rolled back) and
keeps its text, so the admin can try it again.

Progress is written while the import's own transaction is still open, so it goes through a
second database connection that commits each write at once (PostgreSQL). SQLite lets one
writer at a time in, so there the row shows the start and the end only.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import signals
from accounts.models import RosterImport, School, User
from accounts.oneroster_import import count_rows, import_oneroster
from accounts.roster import Progress, Report, RosterRejected, count_lines, import_roster

logger = logging.getLogger(__name__)


class ImportRefused(Exception):
    """A new import cannot start: the message is a sentence for the admin."""


# An import still waiting or running this long after it was queued has lost its worker (a
# 1,500-pupil roster takes seconds): it is marked failed, so that it no longer holds the school.
STALE_AFTER = timedelta(hours=2)


def running_import(school: School) -> RosterImport | None:
    """The school's import that is waiting or running, if any (one whose worker is long gone
    is marked failed first)."""
    RosterImport.objects.filter(
        school=school, state__in=RosterImport.ACTIVE,
        created_at__lt=timezone.now() - STALE_AFTER,
    ).update(state=RosterImport.State.FAILED, finished_at=timezone.now(), result={"failure": _(
        "The import did not finish: the server stopped working on it. Nothing was changed; "
        "try again.")})
    return RosterImport.objects.filter(school=school, state__in=RosterImport.ACTIVE).first()


def refuse_while_running(school: School) -> None:
    """Raise :class:`ImportRefused` while an import of the school waits or runs."""
    if running_import(school) is not None:
        raise ImportRefused(_("A roster import is already running for this school. Wait until "
                              "it is done, then upload the file again."))


def start_roster_import(school: School, text: str, *, actor: User | None,
                        encoding: str = "utf-8",
                        kind: str = RosterImport.Kind.CSV) -> RosterImport:
    """Queue the import of ``text`` (already checked by a dry run) for the worker. Raises
    :class:`ImportRefused` while another import of the school waits or runs. A OneRoster
    zip (``kind``) travels as its base64 text."""
    refuse_while_running(school)
    if kind == RosterImport.Kind.ONEROSTER:
        total = count_rows(school, base64.b64decode(text))
    else:
        total = count_lines(text)
    try:
        with transaction.atomic():
            job = RosterImport.objects.create(school=school, started_by=actor, text=text,
                                              encoding=encoding, lines_total=total, kind=kind)
            transaction.on_commit(partial(signals.roster_import_requested.send,
                                          sender=RosterImport, import_id=job.pk))
    except IntegrityError as exc:  # another admin's import started at the same moment
        raise ImportRefused(_("A roster import is already running for this school. Wait "
                              "until it is done, then upload the file again.")) from exc
    return job


def retry_roster_import(job: RosterImport, *, actor: User | None) -> RosterImport:
    """A failed import, queued again with the same file (the failed one gives up its copy)."""
    if job.state != RosterImport.State.FAILED or not job.text:
        raise ImportRefused(_("Only a failed import can be tried again."))
    again = start_roster_import(job.school, job.text, actor=actor, encoding=job.encoding,
                                kind=job.kind)
    RosterImport.objects.filter(pk=job.pk).update(text="")
    return again


def _progress_writer(job_id: int) -> tuple[Progress, Callable[[], None]]:
    """A progress callback that commits each write at once (a connection of its own, on
    PostgreSQL), and what closes it."""
    if connection.vendor != "postgresql":
        return (lambda done, total: None), (lambda: None)
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    broken = False

    def write(done: int, total: int) -> None:
        nonlocal broken
        if broken:
            return
        try:
            with other.cursor() as cursor:
                # Never wait on a lock: progress is worth less than the import.
                cursor.execute("SET lock_timeout = '1s'")
                cursor.execute("UPDATE accounts_rosterimport SET lines_done = %s, "
                               "lines_total = %s WHERE id = %s AND state = %s",
                               [done, total, job_id, RosterImport.State.RUNNING])
        except DatabaseError:
            logger.warning("roster import %s: progress not written", job_id, exc_info=True)
            broken = True

    return write, other.close


def _apply(job: RosterImport, actor: User | None, progress: Progress) -> Report:
    """The job's file, applied by the importer of its kind."""
    if job.kind == RosterImport.Kind.ONEROSTER:
        return import_oneroster(job.school, base64.b64decode(job.text), actor=actor,
                                progress=progress)
    return import_roster(job.school, job.text, actor=actor, encoding=job.encoding,
                         progress=progress)


def run_roster_import(import_id: int) -> RosterImport:
    """Apply a queued import (the worker's task), writing progress and the result on its row.

    An import already done or failed is left as it is. One left running by a worker that died
    is run again from the start: its transaction rolled back, so nothing of it was applied."""
    job = RosterImport.objects.select_related("school", "started_by").get(pk=import_id)
    if job.state not in RosterImport.ACTIVE:
        return job
    RosterImport.objects.filter(pk=job.pk).update(state=RosterImport.State.RUNNING,
                                                  started_at=timezone.now(), lines_done=0)
    write, close = _progress_writer(job.pk)
    actor = job.started_by
    language = actor.preferred_language if actor is not None else job.school.preferred_language
    fields: dict[str, object]
    try:
        with translation.override(language):
            try:
                report = _apply(job, actor, write)
            except RosterRejected as exc:
                fields = {"state": RosterImport.State.FAILED, "result": {"errors": exc.errors}}
            except Exception:
                logger.exception("roster import %s failed", job.pk)
                fields = {"state": RosterImport.State.FAILED, "result": {"failure": _(
                    "The import stopped because of an error on the server; nothing was "
                    "changed. Try again; if it fails again, tell the operator.")}}
            else:
                fields = {"state": RosterImport.State.DONE, "lines_done": job.lines_total,
                          "text": "",
                          "result": {"summary": report.summary(), "changes": report.changes}}
    finally:
        close()
    RosterImport.objects.filter(pk=job.pk).update(finished_at=timezone.now(), **fields)
    job.refresh_from_db()
    return job
