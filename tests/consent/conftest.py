"""Consent personas, on top of the suite's (tests/conftest.py):

- ``emma``: the 4B pupil of ``parent`` (Anna); ``parent2`` (Mark) shares parental responsibility.
- ``stepparent``: lives with Emma but has no parental responsibility: may not decide.
- ``teacher_5a``: teaches 5A only: an outsider to 4B's consent.
"""

from __future__ import annotations

import pytest

from accounts.models import Guardianship, Pupil, Role, School, SchoolClass, User
from consent import actions
from consent.models import ConsentPurpose
from tests.factories import UserFactory


@pytest.fixture
def purposes(school: School) -> dict[str, ConsentPurpose]:
    return {p.code: p for p in actions.ensure_purposes(school)}


@pytest.fixture
def emma(parent: User) -> Pupil:
    return Guardianship.objects.get(guardian=parent).pupil


@pytest.fixture
def mateo(parent_5a: User) -> Pupil:
    return Guardianship.objects.get(guardian=parent_5a).pupil


@pytest.fixture
def parent2(school: School, emma: Pupil) -> User:
    user = UserFactory(username="parent2", display_name="Mark Jansen", role=Role.PARENT,
                       school=school)
    Guardianship.objects.create(guardian=user, pupil=emma, relationship="parent")
    return user


@pytest.fixture
def stepparent(school: School, emma: Pupil) -> User:
    user = UserFactory(username="stepparent", display_name="Chris Smit", role=Role.PARENT,
                       school=school)
    Guardianship.objects.create(guardian=user, pupil=emma, relationship="step-parent",
                                parental_responsibility=False)
    return user


@pytest.fixture
def teacher_5a(school: School, class_5a: SchoolClass) -> User:
    user = UserFactory(username="teacher5a", display_name="Mr Ivanov", role=Role.TEACHER,
                       school=school)
    class_5a.staff.add(user)
    return user
