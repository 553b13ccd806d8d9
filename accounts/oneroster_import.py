"""Apply a checked OneRoster 1.2 zip (:mod:`accounts.oneroster`) to the school.

The mapping (docs/accounts.md, "OneRoster"):

- the file's one org of type ``school`` is this Schoolchat school;
- a user with the ``student`` role is a pupil, one with ``parent`` or ``guardian`` a guardian's
  account, one with ``teacher`` a teacher's account; other roles are read and left out;
- a pupil's guardians are the users of their ``agentSourcedIds`` that hold a guardian role;
- ``homeroom`` classes are classes, with their ``teacher`` enrolments as the class's staff and
  their ``student`` enrolments as its pupils; ``scheduled`` classes are skipped (the preview
  lists them);
- a date of birth comes from ``demographics.csv``;
- every person, pupil and class keeps its ``sourcedId``, so the next file updates it. A file's
  pupil is first matched by sourcedId, then (once, when a school moves from its own CSV) by
  its ``identifier`` as the pupil's reference; a teacher by sourcedId, then by e-mail address.

A bulk file is the whole school: pupils missing from it leave on the file's date (the admin
confirms the list in the preview). A delta creates or updates what it names; a
``tobedeleted`` pupil leaves on its ``dateLastModified``, a ``tobedeleted`` enrolment ends, a
``tobedeleted`` guardian's guardianships end. Applying a delta twice changes nothing the
second time and writes no archive record.

Every change goes through the same actions as the school's own roster CSV
(:mod:`accounts.roster`), in the same one transaction, so leavers, invitations and the class
conversations follow as they do for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions.classes import change_class, create_classes, roster_changed
from accounts.actions.enrolment import (
    assign_staff,
    end_enrolments,
    enrol_many,
    remove_guardianship,
    set_guardianships,
    unassign_staff,
)
from accounts.actions.leavers import pupil_leaves
from accounts.actions.people import change_person, change_pupil, create_accounts, create_pupils
from accounts.models import (
    Enrolment,
    Guardianship,
    Pupil,
    Role,
    School,
    SchoolClass,
    StaffAssignment,
    User,
)
from accounts.oneroster import GUARDIAN_ROLES, Known, OneRoster, OrClass, OrUser, read, where
from accounts.roster import REF, Progress, Report, RosterRejected
from accounts.rules import is_guardian_account, operator_managed
from archive import chain, scopes

USERNAME_UNSAFE = re.compile(r"[^a-z0-9._-]+")


@dataclass
class OneRosterReport(Report):
    """The roster's report, and what a OneRoster preview says besides."""

    version: str = "1.2"
    delta: bool = False
    dated: date | None = None
    skipped: list[str] = field(default_factory=list)
    leavers: list[str] = field(default_factory=list)

    @property
    def separated_by(self) -> str:
        if self.delta:
            return _("OneRoster %(version)s, a delta file: only what it names changes.") % {
                "version": self.version}
        return _("OneRoster %(version)s, a bulk file: the whole school as on %(day)s.") % {
            "version": self.version, "day": self.dated.isoformat() if self.dated else ""}

    @property
    def read_as(self) -> str:
        return ""

    def summary(self) -> str:
        c = self.counts
        return " ".join([super().summary(), _(
            "Teachers: %(created)d created, %(assigned)d assigned to a class, %(removed)d "
            "no longer teaching one.") % {"created": c["teacher.created"],
                                          "assigned": c["staff.assigned"],
                                          "removed": c["staff.unassigned"]}])


def known(school: School) -> Known:
    """The sourcedIds the school already keeps, which a delta may name without carrying."""
    return Known(
        users=frozenset(User.objects.filter(school=school).exclude(sourced_id="")
                        .values_list("sourced_id", flat=True))
        | frozenset(Pupil.objects.filter(school=school).exclude(sourced_id="")
                    .values_list("sourced_id", flat=True)),
        classes=frozenset(SchoolClass.objects.filter(school=school).exclude(sourced_id="")
                          .values_list("sourced_id", flat=True)))


def check(school: School, raw: bytes) -> OneRoster:
    """Read and check the zip against what the school has. Raises RosterRejected."""
    return read(raw, known(school), today=timezone.localdate())


def count_rows(school: School, raw: bytes) -> int:
    """The users of a checked file: a job's "of N lines" (0 for a file that has become bad
    since its preview: the job then fails with its problems, as the CSV's does)."""
    try:
        return len(check(school, raw).users)
    except RosterRejected:
        return 0


def import_oneroster(school: School, raw: bytes, *, actor: User | None = None,
                     dry_run: bool = False, progress: Progress | None = None) -> OneRosterReport:
    """Check, then apply the zip in one transaction. Raises RosterRejected.

    Writes ``admin.roster_imported`` only when the file changed something, so that a file
    applied twice leaves no trace the second time."""
    roster = check(school, raw)
    report = OneRosterReport(dry_run=dry_run, version=roster.version, delta=roster.delta,
                             dated=roster.dated)
    tell = progress or (lambda done, total: None)
    with transaction.atomic():
        _Apply(school, roster, report, actor).run(announce=not dry_run, progress=tell)
        if report.changed:
            chain.record(
                "admin.roster_imported", scope=scopes.school(school.pk), actor=actor,
                subjects=[actor] if actor is not None else [],
                payload={"counts": dict(report.counts), "changes": len(report.changes),
                         "format": "oneroster", "delta": roster.delta},
            )
        if dry_run:
            transaction.set_rollback(True)
    return report


def _known_roles(school: School, sid: str) -> set[str]:
    """The OneRoster roles of someone the school already keeps by this sourcedId."""
    if Pupil.objects.filter(school=school, sourced_id=sid).exists():
        return {"student"}
    role = User.objects.filter(school=school, sourced_id=sid).values_list("role", flat=True).first()
    if role == Role.PARENT:
        return {"parent"}
    return {"teacher"} if role in Role.class_staff() else set()


def _name(user: OrUser) -> str:
    return f"{user.given_name} {user.family_name}".strip()[:150]


class _Apply:
    """One application of a checked file: what the school has, read once, then each step."""

    def __init__(self, school: School, roster: OneRoster, report: OneRosterReport,
                 actor: User | None) -> None:
        self.school, self.roster, self.report, self.actor = school, roster, report, actor
        self.today = timezone.localdate()
        self.touched: dict[int, SchoolClass] = {}
        self.errors: list[str] = []
        roles = {sid: roster.roles_of(sid) for sid in roster.users}
        if roster.delta:
            # A delta's user without a role row keeps the part the school knows them in.
            for sid in roster.users:
                if not roles[sid]:
                    roles[sid] = _known_roles(school, sid)
        self.pupil_rows = {sid: u for sid, u in roster.users.items()
                           if "student" in roles[sid] and not u.gone}
        self.guardian_rows = {sid: u for sid, u in roster.users.items()
                              if roles[sid] & GUARDIAN_ROLES and sid not in self.pupil_rows
                              and not u.gone}
        self.teacher_rows = {sid: u for sid, u in roster.users.items()
                             if "teacher" in roles[sid] and not u.gone
                             and sid not in self.pupil_rows and sid not in self.guardian_rows}
        self.relationship = {sid: sorted(roles[sid] & GUARDIAN_ROLES)[0]
                             for sid in self.guardian_rows}
        # What the school already keeps by sourcedId (filled as each step reads it).
        self.by_sid_all: dict[str, SchoolClass] = {}
        self.all_pupils: dict[str, Pupil] = {}
        self.all_people: dict[str, User] = {}
        self.current: dict[int, list[Enrolment]] = {}

    def run(self, *, announce: bool, progress: Progress) -> None:
        total = len(self.roster.users)
        progress(0, total)
        self.classes = self._classes()
        self.pupils = self._pupils()
        self.people = self._people()
        if self.errors:
            raise RosterRejected(self.errors)
        self._enrolments()
        self._staff()
        self._guardianships()
        self._leavers()
        progress(total // 2, total)
        for school_class in sorted(self.touched.values(), key=lambda c: c.pk):
            if announce:
                roster_changed([school_class], actor=self.actor)
        progress(total, total)

    # Classes -----------------------------------------------------------------------------

    def _classes(self) -> dict[str, SchoolClass]:
        """The homeroom classes by sourcedId: found, adopted by name, renamed or created."""
        existing = list(SchoolClass.objects.filter(school=self.school))
        by_sid = self.by_sid_all = {c.sourced_id: c for c in existing if c.sourced_id}
        by_name = {c.name: c for c in existing}
        found: dict[str, SchoolClass] = {}
        new: dict[str, OrClass] = {}
        for sid, row in self.roster.classes.items():
            if not row.homeroom:
                if not row.gone:
                    self.report.skipped.append(row.title)
                    self.report.add("class.skipped")
                continue
            if row.gone:
                continue
            title = row.title[:50]
            school_class = by_sid.get(sid)
            if school_class is None and title in by_name and not by_name[title].sourced_id:
                school_class = by_name[title]
                self._change_class(school_class, {"sourced_id": sid}, row)
            if school_class is None:
                if title in by_name or title in {r.title[:50] for r in new.values()}:
                    self.errors.append(where(row.file, row.line, _(
                        "another class is already called “%(name)s”.") % {"name": title}))
                new[sid] = row
                continue
            if school_class.name != title:
                old = school_class.name
                self._change_class(school_class, {"name": title}, row)
                self.report.add("class.renamed", _("Class %(old)s is now called %(new)s") % {
                    "old": old, "new": title})
            found[sid] = school_class
        if new and not self.errors:
            for school_class in create_classes(
                    self.school, [r.title[:50] for r in new.values()], actor=self.actor,
                    sourced_ids={r.title[:50]: sid for sid, r in new.items()}):
                found[school_class.sourced_id] = school_class
                self.report.add("class.created", _("New class %(name)s") % {
                    "name": school_class.name})
        return found

    def _change_class(self, school_class: SchoolClass, changes: dict[str, str],
                      row: OrClass) -> None:
        try:
            change_class(school_class, changes, actor=self.actor)
        except ValidationError:
            self.errors.append(where(row.file, row.line, _(
                "another class is already called “%(name)s”.") % {"name": changes.get("name")}))

    def _class(self, sid: str) -> SchoolClass | None:
        """A homeroom class the file or the school knows by this sourcedId."""
        return self.classes.get(sid) or self.by_sid_all.get(sid)

    # Pupils ------------------------------------------------------------------------------

    def _pupils(self) -> dict[str, Pupil]:
        """The file's pupils by sourcedId: found, adopted by their reference, or created."""
        existing = list(Pupil.objects.filter(school=self.school))
        by_sid = self.all_pupils = {p.sourced_id: p for p in existing if p.sourced_id}
        by_ref = {p.ref: p for p in existing}
        found: dict[str, Pupil] = {}
        new: list[Pupil] = []
        refs = set(by_ref)
        for sid, row in self.pupil_rows.items():
            pupil = by_sid.get(sid)
            if pupil is None and row.identifier in by_ref and not by_ref[row.identifier].sourced_id:
                pupil = by_ref[row.identifier]
            if pupil is None:
                ref = row.identifier if REF.match(row.identifier) else sid[:64]
                if ref in refs:
                    self.errors.append(where(row.file, row.line, _(
                        "another pupil already has the reference %(ref)s.") % {"ref": ref}))
                    continue
                refs.add(ref)
                new.append(Pupil(ref=ref, sourced_id=sid, first_name=row.given_name,
                                 last_name=row.family_name,
                                 date_of_birth=self.roster.births.get(sid)))
                continue
            found[sid] = pupil
            self._update_pupil(pupil, sid, row)
        if self.errors:
            return found
        for pupil in create_pupils(self.school, new, actor=self.actor):
            found[pupil.sourced_id] = pupil
            self.report.add("pupil.created", _("New pupil %(ref)s %(name)s") % {
                "ref": pupil.ref, "name": f"{pupil.first_name} {pupil.last_name}"})
        return found

    def _update_pupil(self, pupil: Pupil, sid: str, row: OrUser) -> None:
        wanted: dict[str, object] = {"first_name": row.given_name, "last_name": row.family_name,
                                     "sourced_id": sid}
        if sid in self.roster.births:
            wanted["date_of_birth"] = self.roster.births[sid]
        changes = {k: v for k, v in wanted.items() if getattr(pupil, k) != v}
        if pupil.left_on is not None:
            changes["left_on"] = None
        if not changes:
            self.report.add("pupil.unchanged")
            return
        change_pupil(pupil, changes, actor=self.actor)
        self.report.add("pupil.updated", _("Pupil %(ref)s: %(fields)s changed") % {
            "ref": pupil.ref, "fields": ", ".join(
                str(getattr(Pupil._meta.get_field(name), "verbose_name", name))
                for name in sorted(changes))})

    # Guardians and teachers ---------------------------------------------------------------

    def _people(self) -> dict[str, User]:
        """The file's guardians and teachers by sourcedId: found, adopted, or created."""
        existing = list(User.objects.filter(school=self.school))
        by_sid = self.all_people = {u.sourced_id: u for u in existing if u.sourced_id}
        by_ref = {u.ref: u for u in existing if u.ref and not u.sourced_id}
        by_email = {u.email.lower(): u for u in existing
                    if u.email and not u.sourced_id and u.is_class_staff_role}
        usernames = set(User.objects.values_list("username", flat=True))
        found: dict[str, User] = {}
        new: list[User] = []
        for sid, row in [*self.guardian_rows.items(), *self.teacher_rows.items()]:
            teacher = sid in self.teacher_rows
            user = by_sid.get(sid)
            if user is None and not teacher:
                user = by_ref.get(row.identifier)
            if user is None and teacher and row.email:
                user = by_email.get(row.email.lower())
            if user is not None and operator_managed(user):
                self.errors.append(where(row.file, row.line, _(
                    "%(id)s is an account only the operator manages: the roster cannot change "
                    "it.") % {"id": sid}))
                continue
            if user is None:
                new.append(User(username=self._username(row, usernames), sourced_id=sid,
                                display_name=_name(row), email=row.email,
                                role=Role.TEACHER if teacher else Role.PARENT))
                continue
            found[sid] = user
            self._update_person(user, sid, row, teacher)
        if self.errors:
            return found
        for user in create_accounts(self.school, new, actor=self.actor):
            found[user.sourced_id] = user
            teacher = user.sourced_id in self.teacher_rows
            self.report.add("teacher.created" if teacher else "guardian.created",
                            (_("New teacher %(name)s") if teacher else
                             _("New guardian %(ref)s %(name)s")) % {
                                "ref": user.sourced_id, "name": user.display_name})
        return found

    def _username(self, row: OrUser, taken: set[str]) -> str:
        base = USERNAME_UNSAFE.sub("-", f"{self.school.slug}-{row.identifier or row.sourced_id}"
                                   .lower()).strip("-")[:140]
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        return name

    def _update_person(self, user: User, sid: str, row: OrUser, teacher: bool) -> None:
        wanted = {"display_name": _name(row), "email": row.email, "sourced_id": sid}
        changes = {k: v for k, v in wanted.items() if getattr(user, k) != v}
        kind = "teacher" if teacher else "guardian"
        if not changes:
            self.report.add(f"{kind}.unchanged")
            return
        change_person(user, changes, actor=self.actor)
        self.report.add(f"{kind}.updated", _("%(name)s: name or e-mail address changed") % {
            "name": user.display_name})

    def _person(self, sid: str) -> User | None:
        return self.people.get(sid) or self.all_people.get(sid)

    # Enrolments and staff -----------------------------------------------------------------

    def _open(self) -> dict[int, list[Enrolment]]:
        current: dict[int, list[Enrolment]] = {}
        for enrolment in Enrolment.objects.open_on(self.today).filter(
                pupil__school=self.school).select_related("school_class", "pupil"):
            current.setdefault(enrolment.pupil_id, []).append(enrolment)
        return current

    def _pupil(self, sid: str) -> Pupil | None:
        return self.pupils.get(sid) or self.all_pupils.get(sid)

    def _enrolments(self) -> None:
        self.current = self._open()
        wanted: dict[int, tuple[Pupil, SchoolClass]] = {}
        ending: list[Enrolment] = []
        for row in self.roster.enrolments:
            if row.enrolled_as != "student":
                continue
            school_class, pupil = self._class(row.school_class), self._pupil(row.user)
            if school_class is None or pupil is None:
                continue  # a scheduled class, or not a pupil
            if row.gone:
                ending += [e for e in self.current.get(pupil.pk, [])
                           if e.school_class_id == school_class.pk and e not in ending]
            elif not (row.user in self.roster.users and self.roster.users[row.user].gone):
                if pupil.pk in wanted and wanted[pupil.pk][1] != school_class:
                    self.errors.append(where(row.file, row.line, _(
                        "pupil %(id)s is in a second homeroom class.") % {"id": row.user}))
                wanted[pupil.pk] = (pupil, school_class)
        if not self.roster.delta:
            # A snapshot: a listed pupil with no homeroom class leaves the file's classes.
            for _sid, pupil in self.pupils.items():
                if pupil.pk not in wanted:
                    ending += [e for e in self.current.get(pupil.pk, [])
                               if e.school_class.sourced_id]
        if self.errors:
            raise RosterRejected(self.errors)
        placements: list[tuple[Pupil, SchoolClass]] = []
        for pupil, school_class in wanted.values():
            enrolments = self.current.get(pupil.pk, [])
            if any(e.school_class_id == school_class.pk for e in enrolments) and len(
                    enrolments) == 1:
                continue
            if enrolments:
                self.report.add("enrolment.moved", _(
                    "Pupil %(ref)s moves from %(from)s to %(to)s") % {
                    "ref": pupil.ref, "from": ", ".join(e.school_class.name for e in enrolments),
                    "to": school_class.name})
            else:
                self.report.add("enrolment.created", _("Pupil %(ref)s joins %(class)s") % {
                    "ref": pupil.ref, "class": school_class.name})
            placements.append((pupil, school_class))
        for school_class in enrol_many(placements, actor=self.actor, starts_on=self.today):
            self.touched[school_class.pk] = school_class
        for enrolment in ending:
            self.report.add("enrolment.ended", _("Pupil %(ref)s leaves the class %(class)s") % {
                "ref": enrolment.pupil.ref, "class": enrolment.school_class.name})
        for school_class in end_enrolments(ending, actor=self.actor, on=self.today):
            self.touched[school_class.pk] = school_class
        self.current = self._open()

    def _staff(self) -> None:
        assigned = {(a.school_class_id, a.user_id) for a in StaffAssignment.objects.filter(
            school_class__school=self.school)}
        wanted: set[tuple[int, int]] = set()
        gone: set[tuple[int, int]] = set()
        names: dict[tuple[int, int], tuple[User, SchoolClass]] = {}
        for row in self.roster.enrolments:
            school_class, user = self._class(row.school_class), self._person(row.user)
            if row.enrolled_as != "teacher" or school_class is None or user is None:
                continue
            key = (school_class.pk, user.pk)
            names[key] = (user, school_class)
            (gone if row.gone else wanted).add(key)
        if not self.roster.delta:
            # A snapshot: teachers the file once named who no longer teach its classes.
            ours = {c.pk for c in self.classes.values()}
            people = {u.pk: u for u in self.all_people.values()} | {
                u.pk: u for u in self.people.values()}
            for class_pk, user_pk in assigned:
                if class_pk in ours and user_pk in people and (class_pk, user_pk) not in wanted:
                    gone.add((class_pk, user_pk))
                    school_class = next(c for c in self.classes.values() if c.pk == class_pk)
                    names[(class_pk, user_pk)] = (people[user_pk], school_class)
        for key in sorted(wanted - assigned):
            user, school_class = names[key]
            assign_staff(user, school_class, actor=self.actor, sync=False)
            self.touched[school_class.pk] = school_class
            self.report.add("staff.assigned", _("%(name)s teaches %(class)s") % {
                "name": user.display_name, "class": school_class.name})
        for key in sorted((gone & assigned) - wanted):
            user, school_class = names[key]
            unassign_staff(user, school_class, actor=self.actor, sync=False)
            self.touched[school_class.pk] = school_class
            self.report.add("staff.unassigned", _("%(name)s no longer teaches %(class)s") % {
                "name": user.display_name, "class": school_class.name})

    # Guardianships ------------------------------------------------------------------------

    def _guardianships(self) -> None:
        links = {(g.pupil_id, g.guardian_id): g for g in Guardianship.objects.filter(
            pupil__school=self.school).select_related("pupil", "guardian")}
        wanted_links: list[Guardianship] = []
        wanted: set[tuple[int, int]] = set()
        for sid, row in self.pupil_rows.items():
            pupil = self.pupils[sid]
            for agent in row.agents:
                guardian = self.people.get(agent) if agent in self.guardian_rows else None
                if guardian is None and self.roster.delta and agent not in self.roster.users:
                    known = self.all_people.get(agent)
                    guardian = known if known is not None and is_guardian_account(known) else None
                if guardian is None:
                    continue  # an agent without a guardian role (a relative, a teacher)
                key = (pupil.pk, guardian.pk)
                wanted.add(key)
                existing = links.get(key)
                relationship = self.relationship.get(agent) or (
                    existing.relationship if existing is not None else "parent")
                if existing is not None and existing.relationship == relationship:
                    continue
                wanted_links.append(Guardianship(
                    guardian=guardian, pupil=pupil, relationship=relationship,
                    parental_responsibility=True if existing is None
                    else existing.parental_responsibility,
                    no_contact=existing.no_contact if existing is not None else False))
                names = {"guardian": guardian.display_name, "pupil": pupil.ref}
                self.report.add("link.created" if existing is None else "link.updated",
                                (_("Guardian %(guardian)s of pupil %(pupil)s added")
                                 if existing is None else
                                 _("Guardian %(guardian)s of pupil %(pupil)s changed")) % names)
                self._touch(pupil)
        set_guardianships(wanted_links, actor=self.actor)
        listed = {p.pk for p in self.pupils.values()}
        gone_guardians = {u.pk for sid, u in self.all_people.items()
                          if sid in self.roster.users and self.roster.users[sid].gone}
        for (pupil_pk, guardian_pk), link in links.items():
            # The file manages the links to guardians it made (with a sourcedId): a listed
            # pupil's other such guardians, and every link of a guardian it deletes.
            ours = bool(link.guardian.sourced_id) and is_guardian_account(link.guardian)
            dropped = pupil_pk in listed and ours and (pupil_pk, guardian_pk) not in wanted
            if dropped or guardian_pk in gone_guardians:
                remove_guardianship(link, actor=self.actor, sync=False)
                self.report.add("link.removed", _(
                    "Guardian %(guardian)s no longer listed for pupil %(pupil)s") % {
                    "guardian": link.guardian.display_name, "pupil": link.pupil.ref})
                self._touch(link.pupil)

    def _touch(self, pupil: Pupil) -> None:
        for enrolment in self.current.get(pupil.pk, []):
            self.touched[enrolment.school_class_id] = enrolment.school_class

    # Leavers ------------------------------------------------------------------------------

    def _leavers(self) -> None:
        """Bulk: every pupil in a class who is missing from the file leaves on the file's
        date. Delta: a ``tobedeleted`` pupil leaves on its dateLastModified."""
        leaving: list[tuple[Pupil, date]] = []
        if self.roster.delta:
            for sid, row in self.roster.users.items():
                pupil = self.all_pupils.get(sid)
                if row.gone and pupil is not None and pupil.left_on is None:
                    leaving.append((pupil, row.modified or self.today))
        else:
            listed = {p.pk for p in self.pupils.values()}
            for pupil in Pupil.objects.filter(school=self.school, left_on__isnull=True,
                                              pk__in=list(self.current)).exclude(pk__in=listed):
                leaving.append((pupil, self.roster.dated))
        for pupil, day in sorted(leaving, key=lambda p: p[0].ref):
            name = f"{pupil.first_name} {pupil.last_name}"
            self.report.leavers.append(f"{pupil.shown_ref} {name}".strip())
            self.report.add("pupil.left", _("Pupil %(ref)s %(name)s leaves on %(day)s") % {
                "ref": pupil.shown_ref, "name": name, "day": day.isoformat()})
            self._touch(pupil)
            pupil_leaves(pupil, actor=self.actor, on=day, sync=False)

