"""The personas of the absence tests, on top of the suite's (tests/conftest.py):

- ``teacher``: Ms de Vries, the class teacher of 4B (named as such);
- ``subject_teacher``: Mr Maas, who also teaches 4B: sees who is absent, not why;
- ``office``: the school office (role staff): every class, every reason;
- ``parent``: Anna, guardian of Emma and of Noah (both 4B); ``parent_5a``: Lucía, Mateo in 5A.
"""

from __future__ import annotations

from typing import Any

import pytest

from absence import actions
from absence.models import DEFAULT_CUTOFF
from accounts.models import Pupil, Role, School, SchoolClass, User
from tests.factories import PupilFactory, UserFactory, enrol


@pytest.fixture
def office(school: School) -> User:
    return UserFactory(username="office", display_name="Mr Bos", role=Role.STAFF, school=school)


@pytest.fixture
def subject_teacher(school: School, class_4b: SchoolClass) -> User:
    user = UserFactory(username="maas", display_name="Mr Maas", role=Role.TEACHER, school=school)
    class_4b.staff.add(user)
    return user


@pytest.fixture
def world(school: School, class_4b: SchoolClass, class_5a: SchoolClass, teacher: User,
          subject_teacher: User, office: User, parent: User, parent_5a: User, admin: User,
          dpo: User) -> dict[str, Any]:
    emma = Pupil.objects.get(first_name="Emma", guardianships__guardian=parent)
    noah = enrol(PupilFactory(school=school, first_name="Noah", last_name="Jansen"), class_4b,
                 parent)
    actions.change_settings(admin, school, cutoff=DEFAULT_CUTOFF,
                            class_teachers={class_4b: teacher})
    return {"school": school, "teacher": teacher, "subject_teacher": subject_teacher,
            "office": office, "parent": parent, "parent_5a": parent_5a, "admin": admin,
            "dpo": dpo, "emma": emma, "noah": noah,
            "mateo": Pupil.objects.get(first_name="Mateo"), "class_4b": class_4b,
            "class_5a": class_5a}
