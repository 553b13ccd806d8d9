"""The demo school's parents' evening: one round for 4B and 5A, open for booking, a week ahead,
with a few bookings already made (Anna for Emma with both her teachers, back to back; Olga for
Дмитрий; Lucía for Mateo).

Called by ``manage.py seed_demo`` after messaging (context {"school", "users", ...}).
Idempotent: a school that has the round already gets nothing new.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Pupil, SchoolClass, User
from meetings.actions import bookings, rounds
from meetings.models import MeetingRound
from meetings.queries import free_slots, needs, sibling_plans

TITLE = gettext_noop("Parents' evening")
ROOMS = {"teacher": "4B", "teacher5a": "5A", "head": "12"}


def seed(context: dict[str, Any]) -> None:
    school, users = context["school"], context["users"]
    admin = users.get("admin")
    if admin is None or MeetingRound.objects.filter(school=school).exists():
        return
    zone = ZoneInfo(school.time_zone)
    now = timezone.now()
    day = now.astimezone(zone).date() + timedelta(days=7)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    first = datetime.combine(day, time(15, 0), zone)
    # The demo's families read English, Dutch and Russian: the title says it in each.
    title = " · ".join(dict.fromkeys(_in(code, TITLE) for code, _name in settings.LANGUAGES))
    with translation.override(school.preferred_language):
        place = _("Room %(room)s")
    plan = rounds.RoundPlan(
        title=title, classes=list(SchoolClass.objects.filter(school=school, name__in=["4B", "5A"])),
        first_day=day, last_day=day, day_starts=time(15, 0), day_ends=time(18, 0),
        slot_minutes=10, break_starts=time(16, 30), break_ends=time(16, 45),
        opens_at=now - timedelta(hours=1), closes_at=first - timedelta(days=1),
        place=place % {"room": "1"}, siblings_early=True,
        rooms={users[name].pk: place % {"room": room} for name, room in ROOMS.items()
               if name in users})
    round_ = rounds.publish_round(admin, plan)
    _book(users.get("parent"), round_, "P4B01", ["teacher", "head"], users)
    _book(users.get("parent3"), round_, "P4B02", ["teacher"], users)
    _book(users.get("parent5a"), round_, "P5A01", ["teacher5a"], users)


def _in(language: str, text: str) -> str:
    with translation.override(language):
        return _(text)


def _book(parent: User | None, round_: MeetingRound, ref: str, teachers: list[str],
          users: dict[str, User]) -> None:
    """Book the child's meetings as a family would: back to back where there are several
    (the first plan the round page offers), else the third free time."""
    pupil = Pupil.objects.filter(school=round_.school, ref=ref).first()
    if parent is None or pupil is None:
        return
    wanted = [n for n in needs(parent, round_)
              if n.pupil.pk == pupil.pk and n.teacher.username in teachers]
    free = list(free_slots(round_))
    if len(wanted) > 1:
        plans = sibling_plans(wanted, free)
        if plans:
            bookings.book_together(parent, round_, [(s, n.pupil) for n, s in plans[0]])
        return
    for need in wanted:
        theirs = [s for s in free if s.teacher_id == need.teacher.pk]
        if len(theirs) > 2:
            bookings.book(parent, round_, theirs[2], pupil)
