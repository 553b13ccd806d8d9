"""Absences in the demo school (``manage.py seed_demo``, after messaging; context {"school",
"users", "conversations"}). Idempotent: nothing is added once the school has an absence.

After seeding:
- the school office (``office``, role staff) sees every class's day; Ms de Vries is the class
  teacher of 4B and Mr Ivanov of 5A, so the head, who teaches both, sees who is absent, not why;
- 4B today: Emma is ill (Anna reported it, in Dutch), Дмитрий has a medical appointment in the
  morning (Olga reported it, in Russian, after the cut-off: late), and Kofi is marked absent,
  not reported, by Ms de Vries (Sam is asked "Is Kofi with you?");
- 5A: Lena is away tomorrow and the day after for family reasons (Tom reported it).
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from absence import actions
from absence.models import DEFAULT_CUTOFF, AbsenceReport
from accounts.actions.people import create_account
from accounts.demo import set_demo_password
from accounts.models import Pupil, Role, School, SchoolClass, User


def _office(school: School) -> User:
    found = User.objects.filter(username="office").first()
    if found is not None:
        return found
    user = create_account(school, actor=None, username="office", display_name="Mr Bos (office)",
                          role=Role.STAFF, email="office@demo.school.invalid")
    set_demo_password(user)
    return user


def _pupil(school: School, ref: str) -> Pupil:
    return Pupil.objects.get(school=school, ref=ref)


def seed(context: dict[str, Any]) -> None:
    school: School = context["school"]
    users: dict[str, User] = context["users"]
    users["office"] = _office(school)
    if AbsenceReport.objects.filter(school=school).exists():
        return
    classes = {c.name: c for c in SchoolClass.objects.filter(school=school)}
    admin = users["admin"]
    teachers = {classes["4B"]: users["teacher"], classes["5A"]: users["teacher5a"]}
    actions.change_settings(admin, school, cutoff=DEFAULT_CUTOFF, class_teachers=teachers)
    today = actions.school_today(school)
    actions.report_absence(users["parent"], [_pupil(school, "P4B01")], actions.Absence(
        starts_on=today, ends_on=today, category="ill",
        note="Emma heeft sinds vannacht koorts."))
    # Olga's report comes after the cut-off whatever the hour the demo is made: the school's
    # cut-off is midnight for that moment, then 08:30 again (both on the record).
    actions.change_settings(admin, school, cutoff=time(0, 0), class_teachers=teachers)
    actions.report_absence(users["parent3"], [_pupil(school, "P4B02")], actions.Absence(
        starts_on=today, ends_on=today, category="medical", from_time=time(9, 0),
        until_time=time(11, 30), note="Дмитрий у зубного врача, придёт после обеда."))  # noqa: RUF001
    actions.change_settings(admin, school, cutoff=DEFAULT_CUTOFF, class_teachers=teachers)
    actions.mark_missing(users["teacher"], _pupil(school, "P4B03"))
    actions.report_absence(users["parent5a2"], [_pupil(school, "P5A02")], actions.Absence(
        starts_on=today + timedelta(days=1), ends_on=today + timedelta(days=2),
        category="family", note="Family visit abroad."))
