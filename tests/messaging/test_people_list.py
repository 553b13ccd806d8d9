"""The people page where a teacher starts a one-to-one: parents with their children and the
children's classes, grouped by class (the teacher's own first), searchable with a plain GET.

Personas: Ms de Vries teaches 4B; Anna Jansen is Emma's parent (4B); Lucía García is Mateo's
(5A); a parent at another school whose child is also called Emma; the DPO.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Pupil, Role, School, SchoolClass, User
from tests.factories import PupilFactory, SchoolClassFactory, SchoolFactory, UserFactory, enrol

pytestmark = pytest.mark.django_db


@pytest.fixture
def families(school: School, class_4b: SchoolClass, class_5a: SchoolClass, teacher: User,
             parent: User, parent_5a: User) -> dict[str, User]:
    Pupil.objects.filter(guardianships__guardian=parent).update(last_name="Jansen")
    Pupil.objects.filter(guardianships__guardian=parent_5a).update(last_name="García")
    elsewhere = SchoolFactory(name="Other School", slug="other")
    stranger = UserFactory(username="stranger", display_name="Piet Elders", role=Role.PARENT,
                           school=elsewhere)
    enrol(PupilFactory(school=elsewhere, first_name="Emma", last_name="Elders"),
          SchoolClassFactory(school=elsewhere, name="4B"), stranger)
    return {"teacher": teacher, "anna": parent, "lucia": parent_5a, "stranger": stranger}


def people_page(user: User, query: str | None = None) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("messaging:people"), {"q": query} if query is not None else {})
    assert response.status_code == 200
    return response.content.decode()


def headings(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip()
            for h in re.findall(r'<h2 id="people-group-\d+">(.*?)</h2>', html)]


def test_a_teacher_sees_each_parent_with_their_children_by_class_own_class_first(
        families: dict[str, User], class_5a: SchoolClass) -> None:
    class_5a.name = "1A"  # sorts before 4B: the teacher's own class still comes first
    class_5a.save()
    html = people_page(families["teacher"])
    assert headings(html)[:2] == ["Parents in 4B your class", "Parents in 1A"]
    assert "parent of Emma Jansen (4B)" in html and "parent of Mateo García (1A)" in html
    four_b = html.split("Parents in 4B")[1].split("<h2")[0]
    assert "Anna Jansen" in four_b and "Lucía García" not in four_b
    # The search box works without a script: a plain GET form.
    assert re.search(r'<form method="get" role="search"', html)
    assert '<input type="search" id="people-q" name="q"' in html


def test_a_teacher_finds_a_parent_by_the_childs_name_the_class_or_their_own_name(
        families: dict[str, User]) -> None:
    teacher = families["teacher"]
    by_child = people_page(teacher, "mateo")
    assert "Lucía García" in by_child and "Anna Jansen" not in by_child
    by_class = people_page(teacher, "4b")
    assert "Anna Jansen" in by_class and "Lucía García" not in by_class
    # Without the accent, as people type on a phone.
    assert "Lucía García" in people_page(teacher, "Lucia")
    nobody = people_page(teacher, "Zebedeus")
    assert "Nobody matches “Zebedeus”." in nobody and "Anna Jansen" not in nobody
    assert 'value="Zebedeus"' in nobody


def test_a_teacher_sees_only_their_own_schools_parents(families: dict[str, User]) -> None:
    html = people_page(families["teacher"], "Emma")
    assert "Anna Jansen" in html
    assert "Piet Elders" not in html and "Emma Elders" not in html
    # Nor can they open a one-to-one with that parent by guessing the id.
    client = Client()
    client.force_login(families["teacher"])
    response = client.post(reverse("messaging:start_direct", args=[families["stranger"].pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("parents_may_write", [False, True])
def test_a_parent_never_sees_the_parents_list_nor_other_childrens_names(
        families: dict[str, User], school: School, parents_may_write: bool) -> None:
    school.parent_direct_messages = parents_may_write
    school.save(update_fields=["parent_direct_messages"])
    html = people_page(families["anna"])
    assert "Ms de Vries" in html  # the staff they may write to
    assert "Parents in" not in html and "parent of" not in html
    assert "Mateo" not in html and "Emma Jansen" not in html
    # Searching for a child's name finds nobody through the child.
    assert "Lucía García" not in people_page(families["anna"], "Mateo")
    assert ("Lucía García" in html) is parents_may_write
