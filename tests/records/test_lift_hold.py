"""Lifting a legal hold: only the DPO of the hold's school, always with a reason, after a page
that names the hold and says what retention may purge again; the reason is in the archive
record and in the hold's history."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role, School, User
from archive.models import LegalHold, Record
from messaging.actions import send
from messaging.models import Conversation
from records import actions
from tests.factories import SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def other_dpo(db: None) -> User:
    return UserFactory(username="otherdpo", role=Role.DPO, school=SchoolFactory(slug="other"))


@pytest.fixture
def lead(school: School) -> User:
    return UserFactory(username="lead", role=Role.SAFEGUARDING, school=school)


@pytest.fixture
def hold(dpo: User, teacher: User, conversation_4b: Conversation) -> LegalHold:
    for text in ("Swimming on Monday", "Bring a towel", "Trip on Friday"):
        send.post_message(teacher, conversation_4b, text)
    return actions.place_hold(dpo, conversation_4b, "Complaint about the trip")


def test_lifting_asks_for_confirmation_naming_the_hold_and_what_it_keeps(
        dpo: User, hold: LegalHold, conversation_4b: Conversation) -> None:
    client = _client(dpo)
    page = client.get(reverse("archive:lift", args=[hold.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert f"Lift the legal hold on {conversation_4b.name}?" in text
    assert "Complaint about the trip" in text
    assert (f"3 messages of {conversation_4b.name} will again be deleted on schedule"
            in text)
    # Opening the page lifts nothing.
    hold.refresh_from_db()
    assert hold.lifted_at is None


def test_a_message_another_hold_keeps_is_not_counted(
        dpo: User, teacher: User, hold: LegalHold, conversation_4b: Conversation) -> None:
    actions.place_hold(dpo, teacher, "Teacher under investigation")
    text = _client(dpo).get(reverse("archive:lift", args=[hold.pk])).content.decode()
    assert "0 messages of" in text
    assert "Another legal hold in force still keeps everything this one keeps." in text


def test_lifting_without_a_reason_is_refused_with_a_sentence(dpo: User, hold: LegalHold) -> None:
    response = _client(dpo).post(reverse("archive:lift", args=[hold.pk]), {"reason": "  "})
    assert response.status_code == 400
    assert "Give the reason for lifting the hold." in response.content.decode()
    hold.refresh_from_db()
    assert hold.lifted_at is None
    assert not Record.objects.filter(kind="hold.lifted").exists()
    with pytest.raises(Exception, match="reason for lifting"):
        actions.lift_hold(dpo, hold, "")


def test_the_reason_is_archived_and_shown_in_the_holds_history(
        dpo: User, hold: LegalHold) -> None:
    client = _client(dpo)
    response = client.post(reverse("archive:lift", args=[hold.pk]),
                           {"reason": "Complaint settled"})
    assert response.status_code == 302
    hold.refresh_from_db()
    assert hold.lifted_by == dpo and hold.lift_reason == "Complaint settled"
    record = Record.objects.get(kind="hold.lifted")
    assert record.payload.content["reason"] == "Complaint settled"
    page = client.get(reverse("archive:holds")).content.decode()
    assert "Reason for lifting: Complaint settled" in page
    # A lifted hold offers no lifting again.
    assert reverse("archive:lift", args=[hold.pk]) not in page
    again = client.post(reverse("archive:lift", args=[hold.pk]), {"reason": "Twice"})
    assert again.status_code == 302
    assert Record.objects.filter(kind="hold.lifted").count() == 1


@pytest.mark.parametrize("who", ["teacher", "parent", "admin", "lead", "other_dpo"])
def test_only_the_schools_dpo_lifts_a_hold(request: pytest.FixtureRequest, who: str,
                                           hold: LegalHold) -> None:
    user = request.getfixturevalue(who)
    client = _client(user)
    url = reverse("archive:lift", args=[hold.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "Because"}).status_code == 404
    hold.refresh_from_db()
    assert hold.lifted_at is None
    assert not Record.objects.filter(kind="hold.lifted").exists()
