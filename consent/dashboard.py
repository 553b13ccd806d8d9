"""Consent's panel on the school admin's overview (:mod:`accounts.dashboard`): per class and
purpose, how many pupils' families granted, refused or have not answered. Registered in
``ConsentConfig.ready``; four queries whatever the number of classes
(:func:`consent.services.coverage_tallies`)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import dashboard
from accounts.dashboard import Cell, Panel, Table
from accounts.models import School, User
from consent.access import managed_classes
from consent.services import coverage_tallies


def coverage(school: School, user: User) -> Panel:
    classes = coverage_tallies(managed_classes(user).filter(school=school))
    tables = []
    for entry in classes:
        href = reverse("consent:coverage", args=[entry.school_class.pk])
        rows = [[Cell(_(t.purpose.name), href), Cell(str(t.granted)),
                 Cell(str(t.refused), alert=bool(t.refused)),
                 Cell(str(t.unanswered), alert=bool(t.unanswered))] for t in entry.tallies]
        tables.append(Table(
            caption=ngettext("%(name)s (%(count)d pupil)", "%(name)s (%(count)d pupils)",
                             entry.pupils) % {"name": entry.school_class.name,
                                              "count": entry.pupils},
            columns=[_("Purpose"), _("Granted"), _("Refused or withdrawn"), _("Not answered")],
            rows=rows if entry.pupils else [],
            empty=_("No pupils in this class.")))
    return Panel(title=_("Consent per class"), tables=tables,
                 notes=[] if classes else [_("No classes yet.")])


def register() -> None:
    dashboard.register("consent", coverage, order=30)
