"""The lead's queue shows one item per message, with its reports and flags inside it; a
decision answers them all; a restriction leaves the item open, so the message can still be
removed; only leads decide."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from messaging.actions import membership, send
from messaging.models import Conversation, Restriction
from safeguarding import actions
from safeguarding.models import Flag, Report, State

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def reported(conversation_4b: Conversation, teacher: User, parent: User, admin: User,
             parent_5a: User,
             django_capture_on_commit_callbacks: Any) -> tuple[Report, Report, Flag]:
    actions.seed_school(conversation_4b.school)  # the default patterns
    membership.add_member(conversation_4b, parent_5a, actor=admin)
    with django_capture_on_commit_callbacks(execute=True):
        message, _ = send.post_message(parent, conversation_4b, "I want to die, nobody likes you")
    first = actions.report_message(teacher, message, reason="bullying")
    second = actions.report_message(parent_5a, message, reason="worry", note="Please look")
    flags = list(Flag.objects.filter(message=message))
    assert flags
    return first, second, flags[0]


def test_one_message_is_one_item_with_its_reports_and_flags(
        lead: User, reported: tuple[Report, Report, Flag]) -> None:
    first, _second, _flag = reported
    page = _client(lead).get(reverse("safeguarding:queue_items")).content.decode()
    assert page.count('class="card queue-item') == 1
    assert "2 reports" in page and "flag" in page
    assert "Bullying" in page and "Worried about a child" in page and "Please look" in page
    item = _client(lead).get(reverse("safeguarding:item", args=["report", first.pk]))
    text = item.content.decode()
    assert "Worried about a child" in text and "Bullying" in text and "matched" in text


def test_dismissing_the_item_closes_every_report_and_flag(
        lead: User, reported: tuple[Report, Report, Flag]) -> None:
    first, second, flag = reported
    response = _client(lead).post(
        reverse("safeguarding:decide", args=["report", first.pk, "dismiss"]),
        {"dismiss-reason": "Talked to them"})
    assert response.status_code == 302
    for each in (first, second, flag):
        each.refresh_from_db()
        assert each.state == State.DISMISSED and each.handled_by == lead
    assert "Nothing is waiting." in _client(lead).get(
        reverse("safeguarding:queue_items")).content.decode()


def test_after_restricting_the_lead_can_still_remove_the_message(
        lead: User, parent: User, reported: tuple[Report, Report, Flag]) -> None:
    first, second, flag = reported
    client = _client(lead)
    response = client.post(reverse("safeguarding:decide", args=["report", first.pk, "restrict"]),
                           {"restrict-duration": "week", "restrict-reason": "Repeated"})
    assert response.status_code == 302
    assert Restriction.objects.get().user == parent
    first.refresh_from_db()
    assert first.state == State.OPEN
    page = client.get(reverse("safeguarding:item", args=["report", first.pk])).content.decode()
    assert "Remove the message" in page
    response = client.post(reverse("safeguarding:decide", args=["report", first.pk, "remove"]),
                           {"remove-reason": "Bullying"})
    assert response.status_code == 302
    for each in (first, second, flag):
        each.refresh_from_db()
        assert each.state == State.ACTIONED
    assert first.message is not None
    first.message.refresh_from_db()
    assert first.message.removed_at is not None


@pytest.mark.parametrize("who", ["teacher", "parent", "admin", "dpo", "other_lead"])
def test_only_the_schools_leads_decide(request: pytest.FixtureRequest, who: str,
                                       reported: tuple[Report, Report, Flag]) -> None:
    first, second, flag = reported
    client = _client(request.getfixturevalue(who))
    queue = client.get(reverse("safeguarding:queue_items"))
    # Another school's lead has a queue of their own, without this school's items.
    assert queue.status_code == (200 if who == "other_lead" else 404)
    assert "nobody likes you" not in queue.content.decode()
    for verb, data in (("dismiss", {"dismiss-reason": "x"}), ("remove", {"remove-reason": "x"}),
                       ("restrict", {"restrict-duration": "week", "restrict-reason": "x"})):
        url = reverse("safeguarding:decide", args=["report", first.pk, verb])
        assert client.post(url, data).status_code == 404
    for each in (first, second, flag):
        each.refresh_from_db()
        assert each.state == State.OPEN
    assert not Restriction.objects.exists()
