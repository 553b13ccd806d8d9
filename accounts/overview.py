"""Accounts' panels of the school admin's overview (:mod:`accounts.dashboard`): people and
invitations, classes without staff, leavers due soon, and the archive's status.

Read-only, a fixed number of queries each (aggregates, never a query per row); registered in
``AccountsConfig.ready``. The archive imports no app, and any app may read it, so its status
is accounts' panel, read from the archive's own rows.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import dashboard
from accounts.actions.invitations import letter_recipients
from accounts.dashboard import Cell, Figure, Link, Panel, Table
from accounts.models import Invitation, Pupil, School, SchoolClass, User
from accounts.rules import manageable_people, operator_managed
from archive import scopes
from archive.models import AuditEntry, Record

LEAVERS_WITHIN_DAYS = 14
# Rows a table shows before "and N more"; the counts always cover everything.
ROWS = 20
# What the DPO's "Check integrity" on /archive/ notes in the audit trail.
INTEGRITY_CHECKED = "archive.verified"


def people(school: School, user: User) -> Panel:
    """Accounts and invitation links: accepted, open, expired; who has none yet."""
    now = timezone.now()
    invitations = Invitation.objects.filter(
        user__in=manageable_people(user), purpose=Invitation.Purpose.INVITE)
    counts = invitations.aggregate(
        accepted=Count("pk", filter=Q(used_at__isnull=False)),
        open=Count("pk", filter=Q(used_at__isnull=True, revoked_at__isnull=True,
                                  expires_at__gt=now)),
        expired=Count("pk", filter=Q(used_at__isnull=True, revoked_at__isnull=True,
                                     expires_at__lte=now)),
    )
    pending = Invitation.objects.filter(used_at__isnull=True, revoked_at__isnull=True,
                                        expires_at__gt=now).values("user_id")
    accounts = manageable_people(user).filter(left_at__isnull=True).aggregate(
        active=Count("pk", filter=Q(is_active=True)),
        never=Count("pk", filter=Q(is_active=False, password__startswith="!")
                    & ~Q(pk__in=pending)),
    )
    letters = letter_recipients(school).count()
    invitations_url = reverse("accounts:school_invitations")
    return Panel(
        title=_("People and invitations"),
        figures=[
            Figure(_("Accounts in use"), accounts["active"], reverse("accounts:school_people")),
            Figure(_("Invitations accepted"), counts["accepted"]),
            Figure(_("Invitations open"), counts["open"], invitations_url),
            Figure(_("Invitations expired"), counts["expired"], invitations_url + "#expired",
                   alert=bool(counts["expired"])),
            Figure(_("Not signed up, no valid link"), accounts["never"], invitations_url,
                   alert=bool(accounts["never"])),
        ],
        links=[Link(ngettext(
            "Print the letter for the family without an e-mail address",
            "Print letters for the %(count)d families without an e-mail address", letters)
            % {"count": letters}, invitations_url + "#letters")] if letters else [],
    )


def _more(total: int) -> str:
    return _("and %(count)d more") % {"count": total - ROWS} if total > ROWS else ""


def classes_without_staff(school: School, user: User) -> Panel:
    """Classes that no current teacher or staff member is assigned to, and classes whose
    assigned staff have all not signed up yet (invited, never activated): the class has its
    teacher, who is still to open their invitation. Two queries."""
    current = Q(staff__left_at__isnull=True)
    classes = list(SchoolClass.objects.filter(school=school)
                   .annotate(assigned=Count("staff", filter=current),
                             active=Count("staff", filter=current & Q(staff__is_active=True)))
                   .filter(active=0).order_by("name").values_list("pk", "name", "assigned"))
    bare = [(pk, name) for pk, name, assigned in classes if not assigned]
    waiting = [(pk, name) for pk, name, assigned in classes if assigned]
    invited: dict[int, list[str]] = {}
    for class_id, display, first, last, username in (User.objects.filter(
            taught_classes__in=[pk for pk, _name in waiting[:ROWS]], left_at__isnull=True)
            .order_by("display_name", "username")
            .values_list("taught_classes", "display_name", "first_name", "last_name",
                         "username")):
        # User.public_name, from the columns.
        invited.setdefault(class_id, []).append(
            display or f"{first} {last}".strip() or username)
    return Panel(
        title=_("Classes without a teacher"),
        figures=[Figure(_("Classes without a teacher"), len(bare),
                        reverse("accounts:school_classes"), alert=bool(bare)),
                 Figure(_("Teacher not signed up yet"), len(waiting),
                        reverse("accounts:school_invitations"), alert=bool(waiting))],
        tables=[Table(caption=_("Classes without a teacher"), columns=[_("Class")],
                      rows=[[Cell(name, reverse("accounts:school_class", args=[pk]), alert=True)]
                            for pk, name in bare[:ROWS]],
                      empty=_("Every class has a teacher."), more=_more(len(bare))),
                Table(caption=_("Teacher not signed up yet"), columns=[_("Class"), _("Teacher")],
                      rows=[[Cell(name, reverse("accounts:school_class", args=[pk])),
                             Cell(", ".join(invited.get(pk, [])))] for pk, name in waiting[:ROWS]],
                      empty=_("Every class's teacher has signed up."),
                      more=_more(len(waiting)))],
    )


def _day(day: date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def leavers_due(school: School, user: User) -> Panel:
    """People and pupils whose leave date falls in the next two weeks (today included)."""
    today = timezone.localdate()
    until = today + timedelta(days=LEAVERS_WITHIN_DAYS)
    rows: list[tuple[date, str, list[Cell]]] = []
    for person in User.objects.filter(school=school, left_at__isnull=True,
                                      leaves_on__gte=today, leaves_on__lte=until):
        assert person.leaves_on is not None  # filtered on above
        href = "" if operator_managed(person) else reverse("accounts:school_person",
                                                           args=[person.pk])
        rows.append((person.leaves_on, person.public_name, [
            Cell(person.public_name, href), Cell(str(person.get_role_display())),
            Cell(_day(person.leaves_on))]))
    for pupil in Pupil.objects.filter(school=school, left_on__gte=today, left_on__lte=until):
        assert pupil.left_on is not None
        rows.append((pupil.left_on, str(pupil), [
            Cell(str(pupil), reverse("accounts:school_pupil", args=[pupil.pk])),
            Cell(_("Pupil")), Cell(_day(pupil.left_on))]))
    rows.sort(key=lambda row: (row[0], row[1]))
    return Panel(
        title=_("Leaving in the next %(days)d days") % {"days": LEAVERS_WITHIN_DAYS},
        figures=[Figure(_("Leavers due"), len(rows), reverse("accounts:school_leavers"))],
        tables=[Table(caption=_("Leaving soon"), columns=[_("Name"), _("Role"), _("Leaves on")],
                      rows=[cells for _when, _name, cells in rows[:ROWS]],
                      empty=_("Nobody leaves in the next two weeks."), more=_more(len(rows)))],
    )


def archive_status(school: School, user: User) -> Panel:
    """When the archive was last sealed, and what the DPO's last integrity check found."""
    sealed = (Record.objects.filter(scope=scopes.SEAL).order_by("-position")
              .values_list("created_at", flat=True).first())
    checked = (AuditEntry.objects.filter(school=school, action=INTEGRITY_CHECKED)
               .order_by("-at", "-pk").values_list("at", "details").first())
    notes = [
        _("Last sealed: %(when)s.") % {"when": formats.date_format(
            timezone.localtime(sealed), "SHORT_DATETIME_FORMAT")}
        if sealed else _("The archive has not been sealed yet."),
    ]
    if checked is None:
        notes.append(_("No integrity check yet. The data-protection officer runs it from the "
                       "archive's page."))
    else:
        when = formats.date_format(timezone.localtime(checked[0]), "SHORT_DATETIME_FORMAT")
        intact = isinstance(checked[1], dict) and checked[1].get("intact") is True
        notes.append(_("Last integrity check (%(when)s): passed.") % {"when": when} if intact
                     else _("Last integrity check (%(when)s): FAILED. Tell the data-protection "
                            "officer and the operator.") % {"when": when})
    return Panel(title=_("Archive"), notes=notes)


def register() -> None:
    dashboard.register("people", people, order=10)
    dashboard.register("classes", classes_without_staff, order=20)
    dashboard.register("leavers", leavers_due, order=50)
    dashboard.register("archive", archive_status, order=60)
