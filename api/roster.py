"""The roster formats the API takes, one entry each in :data:`FORMATS`.

Each format checks a file with a dry run of its importer (what the admin's page previews) and
queues the same file as a job for the worker (the page's "Apply these changes"). Today that is
the school's CSV (:mod:`accounts.roster`); a OneRoster zip is one more :class:`RosterFormat`
and one more name in ``FormatName`` once its importer exists.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import Literal, Protocol

from django.utils.translation import gettext as _

from accounts.actions.roster_imports import ImportRefused, start_roster_import
from accounts.models import RosterImport, School, User
from accounts.roster import RosterRejected, decode, import_roster
from api.errors import ApiError

FormatName = Literal["csv"]


@dataclass(frozen=True)
class Preview:
    changed: bool
    summary: str
    changes: list[str]


class RosterFormat(Protocol):
    def preview(self, school: School, raw: bytes, actor: User) -> Preview: ...

    def start(self, school: School, raw: bytes, actor: User) -> RosterImport: ...


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

    def start(self, school: School, raw: bytes, actor: User) -> RosterImport:
        self.preview(school, raw, actor)  # refuse a bad file now, not in the worker
        text, encoding = self._text(raw)
        try:
            return start_roster_import(school, text, actor=actor, encoding=encoding)
        except ImportRefused as exc:
            raise conflict(exc) from exc


FORMATS: dict[str, RosterFormat] = {"csv": CsvRoster()}
