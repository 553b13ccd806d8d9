"""The records office's panel on the school admin's overview: the latest changes, as sentences."""

from __future__ import annotations

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts import dashboard
from accounts.models import School, User
from archive import scopes
from archive.models import Record
from records import backup, lines

LATEST = 8


def latest_changes(school: School, user: User) -> dashboard.Panel:
    records = list(Record.objects.filter(scope=scopes.school(school.pk))
                   .select_related("payload").order_by("-created_at", "-pk")[:LATEST])
    rows = [[dashboard.Cell(formats.date_format(timezone.localtime(line.at), "SHORT_DATETIME_FORMAT")),
             dashboard.Cell(line.who), dashboard.Cell(line.text)]
            for line in lines.record_lines(records)]
    return dashboard.Panel(
        title=_("Latest changes"),
        tables=[dashboard.Table(caption=_("Latest changes"), columns=[_("When"), _("Who"), _("What")],
                                rows=rows, empty=_("No changes yet."))],
        links=[dashboard.Link(_("The whole audit log"), reverse("records:school_audit"))],
    )


def backups(school: School, user: User) -> dashboard.Panel:
    """Whether the installation's backups are current and when a restore was last drilled."""
    state = backup.status()
    notes = [state.summary]
    if state.last_good_backup is not None:
        notes.append(_("Last good backup: %(when)s.") % {"when": formats.date_format(
            timezone.localtime(state.last_good_backup.finished_at), "SHORT_DATETIME_FORMAT")})
    if state.last_drill is not None:
        outcome = _("passed") if state.last_drill.ok else _("failed")
        notes.append(_("Last restore drill: %(when)s, %(outcome)s.") % {
            "when": formats.date_format(timezone.localtime(state.last_drill.finished_at),
                                        "SHORT_DATETIME_FORMAT"),
            "outcome": outcome})
    else:
        notes.append(_("No restore drill yet."))
    figures = [] if state.healthy else [dashboard.Figure(_("Backups need attention"), 1, alert=True)]
    return dashboard.Panel(title=_("Backups"), figures=figures, notes=notes)


def register() -> None:
    dashboard.register("backups", backups, order=65)
    dashboard.register("latest_changes", latest_changes, order=70)
