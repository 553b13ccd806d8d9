"""The role sets live on the model (Role.school_staff(), Role.class_staff()); every permission
that speaks of "staff" asks them, so an overseer (DPO, safeguarding lead) counts as school staff
but never acts for a class, even when assigned to one."""

from __future__ import annotations

import pytest

from accounts.access import can
from accounts.models import Guardianship, Role, School, SchoolClass, User
from messaging.actions import membership
from messaging.models import Conversation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_sets() -> None:
    assert Role.class_staff() == {Role.TEACHER, Role.STAFF, Role.ADMIN}
    assert Role.school_staff() == Role.class_staff() | {Role.DPO, Role.SAFEGUARDING}
    assert Role.PARENT not in Role.school_staff() and Role.PUPIL not in Role.school_staff()


@pytest.mark.parametrize("role", [Role.DPO, Role.SAFEGUARDING])
def test_an_overseer_is_staff_in_chat_but_acts_for_no_class(school: School, class_4b: SchoolClass,
                                                            parent: User, admin: User, role: Role) -> None:
    overseer = UserFactory(username=f"o-{role}", role=role, school=school)
    assert overseer.is_school_staff and not overseer.is_class_staff_role
    class_4b.staff.add(overseer)
    emma = Guardianship.objects.get(guardian=parent).pupil
    group = Conversation.objects.create(school=school, kind=Conversation.Kind.GROUP,
                                        title="Trip")
    membership.add_member(group, overseer, actor=admin, manager=True)
    assert can(overseer, "message.post_urgent", group)  # school staff
    assert not can(overseer, "membership.add", group)  # not class staff
    assert not can(overseer, "consent.record_paper", emma)
    assert not can(overseer, "consent.view_coverage", class_4b)


@pytest.mark.parametrize("role", [Role.TEACHER, Role.STAFF])
def test_class_staff_act_for_their_class(school: School, class_4b: SchoolClass, parent: User, admin: User,
                                         role: Role) -> None:
    member = UserFactory(username=f"s-{role}", role=role, school=school)
    class_4b.staff.add(member)
    emma = Guardianship.objects.get(guardian=parent).pupil
    group = Conversation.objects.create(school=school, kind=Conversation.Kind.GROUP,
                                        title="Trip")
    membership.add_member(group, member, actor=admin, manager=True)
    assert can(member, "membership.add", group)
    assert can(member, "consent.record_paper", emma)
    assert can(member, "consent.view_coverage", class_4b)
