"""First come, first served through real servers: twenty families press the same time at the same
instant (threads released together by a barrier, their requests spread over two daphne
processes on the test database). Exactly one booking exists; the nineteen others get the
sentence and the nearest free times, and nobody gets a 500. Then a family with two children
books their back-to-back times in one press.

Run it on PostgreSQL (``DATABASE_URL``), where the writers really race and the unique index
decides; on the embedded SQLite the writers take turns and the answers are the same.
"""

from __future__ import annotations

import threading
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import Role, School, SchoolClass, User
from archive import chain
from meetings.actions.rounds import publish_round
from meetings.models import Booking, MeetingRound
from meetings.queries import free_slots, needs, sibling_plans
from tests.factories import PupilFactory, UserFactory, enrol
from tests.http import CSRF_INPUT, LiveClient
from tests.live import daphne_servers
from tests.meetings.conftest import plan_for

FAMILIES = 20
TAKEN = "Someone else has just booked this time"


def _families(school: School, class_4b: SchoolClass) -> list[User]:
    parents = []
    for n in range(FAMILIES):
        parent = UserFactory(username=f"family{n}", role=Role.PARENT, school=school)
        enrol(PupilFactory(school=school, first_name=f"Child{n}"), class_4b, parent)
        parents.append(parent)
    return parents


def _prepare(client: LiveClient, round_: MeetingRound) -> str:
    """The round page as the family has it open: its CSRF token."""
    page = client.get(f"/meetings/{round_.pk}/")
    assert page.status == 200, page.text[:300]
    found = CSRF_INPUT.search(page.text)
    assert found
    return found.group(1)


def _press(client: LiveClient, round_: MeetingRound, path: str, token: str,
           fields: list[tuple[str, int]]) -> tuple[int, str]:
    body = urllib.parse.urlencode([("csrfmiddlewaretoken", token), *fields]).encode()
    request = urllib.request.Request(client.base_url + path, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"{client.base_url}/meetings/{round_.pk}/"})
    try:
        with client.raw.open(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.django_db(transaction=True)
def test_twenty_families_press_the_same_time_and_one_gets_it(
        tmp_path: Path, school: School, class_4b: SchoolClass, class_5a: SchoolClass,
        teacher: User, admin: User) -> None:
    parents = _families(school, class_4b)
    round_ = publish_round(teacher, plan_for([class_4b]))
    slot = free_slots(round_).filter(teacher=teacher).first()
    assert slot is not None
    answers: list[tuple[int, str]] = [(0, "")] * FAMILIES
    with daphne_servers(2, tmp_path) as servers:
        clients = [LiveClient(servers[n % 2].url, parent) for n, parent in enumerate(parents)]
        tokens = [_prepare(client, round_) for client in clients]
        children = [parent.guardianships.get().pupil_id for parent in parents]
        barrier = threading.Barrier(FAMILIES)

        def press(n: int) -> None:
            # No database in the threads: only HTTP, as twenty phones would.
            barrier.wait(timeout=120)
            answers[n] = _press(clients[n], round_, f"/meetings/{round_.pk}/book", tokens[n],
                                [("slot", slot.pk), ("pupil", children[n])])

        threads = [threading.Thread(target=press, args=(n,)) for n in range(FAMILIES)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    statuses = sorted(status for status, _text in answers)
    assert statuses == [302] + [409] * (FAMILIES - 1), statuses
    refused = [text for status, text in answers if status == 409]
    assert all(TAKEN in text for text in refused)
    # Each refusal offers the nearest free times (buttons to book them at once).
    assert all(text.count('class="time"') >= 3 for text in refused)
    live = Booking.objects.filter(slot=slot, cancelled_at__isnull=True)
    assert live.count() == 1
    assert Booking.objects.count() == 1
    assert chain.verify().intact


@pytest.mark.django_db(transaction=True)
def test_a_family_with_two_children_books_back_to_back_times_in_one_press(
        tmp_path: Path, school: School, class_4b: SchoolClass, class_5a: SchoolClass,
        teacher: User, admin: User) -> None:
    teacher_5a = UserFactory(username="teacher5a", display_name="Mr Ivanov", role=Role.TEACHER,
                             school=school)
    class_5a.staff.add(teacher_5a)
    parent = UserFactory(username="eva", role=Role.PARENT, school=school)
    enrol(PupilFactory(school=school, first_name="Lotte"), class_4b, parent)
    enrol(PupilFactory(school=school, first_name="Bram"), class_5a, parent)
    round_ = publish_round(admin, plan_for([class_4b, class_5a], rooms={
        teacher.pk: "Room 4B", teacher_5a.pk: "Room 5A"}))
    plan = sibling_plans(needs(parent, round_), list(free_slots(round_)))[0]
    with daphne_servers(1, tmp_path) as servers:
        client = LiveClient(servers[0].url, parent)
        token = _prepare(client, round_)
        fields = [pair for need, slot in plan
                  for pair in (("slot", slot.pk), ("pupil", need.pupil.pk))]
        status, _text = _press(client, round_, f"/meetings/{round_.pk}/book-together", token,
                               fields)
        assert status == 302
        page = client.get(f"/meetings/{round_.pk}/").text
    booked = list(Booking.objects.filter(cancelled_at__isnull=True).select_related("slot")
                  .order_by("slot__starts_at"))
    assert len(booked) == 2
    first, second = booked[0].slot, booked[1].slot
    # Adjacent, with one slot's length to change rooms.
    assert second.starts_at - first.ends_at == first.ends_at - first.starts_at
    assert first.room != second.room
    assert "Lotte" in page and "Bram" in page
    assert timezone.now() < first.starts_at
