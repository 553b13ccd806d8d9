"""The roster formats the API takes, one entry each in :data:`FORMATS`.

Each format checks a file with a dry run of its importer (what the admin's page previews) and
queues the same file as a job for the worker (the page's "Apply these changes"): the school's
CSV (:mod:`accounts.roster`) and a OneRoster zip (:mod:`accounts.oneroster_import`). A bulk
OneRoster file's leavers are confirmed as on the page: the caller says ``confirm_leavers``.
"""

from __future__ import annotations

import base64
import csv
from dataclasses import dataclass, field
from typing import Literal, Protocol

from django.utils.translation import gettext as _

from accounts.actions.roster_imports import ImportRefused, start_roster_import
from accounts.models import RosterImport, School, User
from accounts.oneroster_import import import_oneroster
from accounts.roster import RosterRejected, decode, import_roster
from api.errors import ApiError

FormatName = Literal["csv", "oneroster"]


@dataclass(frozen=True)
class Preview:
    changed: bool
    summary: str
    changes: list[str]
    leavers: list[str] = field(default_factory=list)


class RosterFormat(Protocol):
    def preview(self, school: School, raw: bytes, actor: User) -> Preview: ...

    def start(self, school: School, raw: bytes, actor: User, *,
              confirm_leavers: bool = False) -> RosterImport: ...


def rejected(errors: list[str]) -> ApiError:
    return ApiError(422, "roster_rejected", _("The file was not imported; nothing changed. "
                                              "Fix these lines and send it again."), errors)


def conflict(exc: ImportRefused) -> ApiError:
    return ApiError(409, "conflict", str(exc))


class CsvRoster:
    """The school's own CSV (docs/accounts.md): the columns, encodings and dates the page takes."""

    def _text(self, raw: bytes) -> tuple[str, str]:
        if b"\x00" in raw:
            raise rejected([_("The file holds a NUL character: it is not a CSV file.")])
        return decode(raw)

    def preview(self, school: School, raw: bytes, actor: User) -> Preview:
        text, encoding = self._text(raw)
        try:
            report = import_roster(school, text, actor=actor, dry_run=True, encoding=encoding)
        except RosterRejected as exc:
            raise rejected(exc.errors) from exc
        except csv.Error as exc:  # a cell longer than the csv module reads, and the like
            raise rejected([_("The file could not be read as CSV: %(problem)s.")
                            % {"problem": exc}]) from exc
        return Preview(report.changed, report.summary(), list(report.changes))

    def start(self, school: School, raw: bytes, actor: User, *,
              confirm_leavers: bool = False) -> RosterImport:
        self.preview(school, raw, actor)  # refuse a bad file now, not in the worker
        text, encoding = self._text(raw)
        try:
            return start_roster_import(school, text, actor=actor, encoding=encoding)
        except ImportRefused as exc:
            raise conflict(exc) from exc


class OneRosterZip:
    """A OneRoster 1.1 or 1.2 CSV zip, bulk or delta (docs/accounts.md): what the roster page
    takes when the upload is a zip. A bulk file makes the pupils it leaves out leavers; the
    page lists them for the admin to confirm, and here ``confirm_leavers`` says so."""

    def preview(self, school: School, raw: bytes, actor: User) -> Preview:
        try:
            report = import_oneroster(school, raw, actor=actor, dry_run=True)
        except RosterRejected as exc:
            raise rejected(exc.errors) from exc
        return Preview(report.changed, report.summary(), list(report.changes),
                       list(report.leavers))

    def start(self, school: School, raw: bytes, actor: User, *,
              confirm_leavers: bool = False) -> RosterImport:
        preview = self.preview(school, raw, actor)  # refuse a bad file now, not in the worker
        if preview.leavers and not confirm_leavers:
            raise ApiError(422, "leavers_unconfirmed", _(
                "This file makes the pupils it leaves out leavers. Check the list, then send "
                "the file again with confirm_leavers=true."), preview.leavers)
        text = base64.b64encode(raw).decode("ascii")
        try:
            return start_roster_import(school, text, actor=actor,
                                       kind=RosterImport.Kind.ONEROSTER)
        except ImportRefused as exc:
            raise conflict(exc) from exc


FORMATS: dict[str, RosterFormat] = {"csv": CsvRoster(), "oneroster": OneRosterZip()}
