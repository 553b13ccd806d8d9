"""A parents' evening for 4B (and 5A), published by the 4B teacher through the real action.

Personas beyond tests/conftest.py: ``parent2``, another 4B family (Mark, father of Noah);
``teacher_5a`` (Mr Ivanov, 5A, in room 5A); ``siblings``, a parent with Lotte in 4B and Bram
in 5A, whose teachers are in different rooms.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.actions.enrolment import assign_staff
from accounts.models import Role, School, SchoolClass, User
from meetings.actions.rounds import RoundPlan, publish_round
from meetings.models import MeetingRound
from tests.factories import PupilFactory, UserFactory, enrol


def next_weekday(school: School, days: int = 7) -> datetime:
    zone = ZoneInfo(school.time_zone)
    day = timezone.now().astimezone(zone).date() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(0, 0), zone)


def plan_for(classes: list[SchoolClass], **changes: object) -> RoundPlan:
    school = classes[0].school
    day = next_weekday(school)
    values: dict[str, object] = {
        "title": "Parents' evening", "classes": classes, "first_day": day.date(),
        "last_day": day.date(), "day_starts": time(15, 0), "day_ends": time(17, 0),
        "slot_minutes": 10, "break_starts": time(16, 0), "break_ends": time(16, 20),
        "opens_at": timezone.now() - timedelta(hours=1),
        "closes_at": day + timedelta(hours=12), "place": "Hall"}
    values.update(changes)
    return RoundPlan(**values)  # type: ignore[arg-type]


@pytest.fixture
def teacher_5a(school: School, class_5a: SchoolClass, admin: User) -> User:
    user = UserFactory(username="teacher5a", display_name="Mr Ivanov", role=Role.TEACHER,
                       school=school)
    assign_staff(user, class_5a, actor=admin)
    return user


@pytest.fixture
def parent2(school: School, class_4b: SchoolClass) -> User:
    user = UserFactory(username="parent2", display_name="Mark Visser", role=Role.PARENT,
                       school=school, email="mark@example.invalid")
    enrol(PupilFactory(school=school, first_name="Noah"), class_4b, user)
    return user


@pytest.fixture
def siblings(school: School, class_4b: SchoolClass, class_5a: SchoolClass) -> User:
    user = UserFactory(username="siblings", display_name="Eva de Boer", role=Role.PARENT,
                       school=school, email="eva@example.invalid")
    enrol(PupilFactory(school=school, first_name="Lotte"), class_4b, user)
    enrol(PupilFactory(school=school, first_name="Bram"), class_5a, user)
    return user


@pytest.fixture
def round_4b(teacher: User, class_4b: SchoolClass) -> MeetingRound:
    """Today + a week, 15:00-17:00 in 10-minute meetings, a break 16:00-16:20: 10 slots."""
    return publish_round(teacher, plan_for([class_4b]))


@pytest.fixture
def round_both(admin: User, teacher: User, teacher_5a: User, class_4b: SchoolClass,
               class_5a: SchoolClass) -> MeetingRound:
    """The office's round for 4B and 5A; Ms de Vries in room 4B, Mr Ivanov in room 5A."""
    return publish_round(admin, plan_for([class_4b, class_5a], rooms={
        teacher.pk: "Room 4B", teacher_5a.pk: "Room 5A"}))
