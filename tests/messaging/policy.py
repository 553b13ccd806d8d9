"""What the communication-policy tests share: a school with pupil accounts, two pupils of
4B, a second 4B parent, a teacher of 5A and the school's safeguarding lead."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import Role, School, SchoolClass, User
from tests.factories import PupilFactory, SchoolFactory, UserFactory, enrol


@pytest.fixture
def policy_world(school: School, class_4b: SchoolClass, class_5a: SchoolClass, teacher: User,
                 parent: User, admin: User) -> dict[str, Any]:
    School.objects.filter(pk=school.pk).update(pupil_accounts=True,
                                               staff_pupil_direct_messages=True)
    school.refresh_from_db()
    people: dict[str, Any] = {"school": school, "teacher": teacher, "parent": parent,
                              "admin": admin}
    for name, first in (("pupil", "Sam"), ("pupil2", "Noor")):
        account = UserFactory(username=name, display_name=f"{first} (4B)", role=Role.PUPIL,
                              school=school)
        enrol(PupilFactory(school=school, first_name=first, user=account), class_4b)
        people[name] = account
    people["parent2"] = UserFactory(username="parent2", display_name="Mark Jansen",
                                    role=Role.PARENT, school=school)
    enrol(PupilFactory(school=school), class_4b, people["parent2"])
    people["teacher_5a"] = UserFactory(username="teacher5a", display_name="Mr Bakker",
                                       role=Role.TEACHER, school=school)
    class_5a.staff.add(people["teacher_5a"])
    people["lead"] = UserFactory(username="lead", display_name="Mr Veilig",
                                 role=Role.SAFEGUARDING, school=school)
    people["other_lead"] = UserFactory(username="otherlead", role=Role.SAFEGUARDING,
                                       school=SchoolFactory(name="Other", slug="other"))
    for user in people.values():
        if isinstance(user, User):
            user.refresh_from_db()
    return people
