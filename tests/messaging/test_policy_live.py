"""The communication policy against a live server on a committing database, in a school made
with ``create_school``: the admin chooses the policy on the policies form (one record naming
only what changed), a teacher's one-to-one with a pupil then includes the pupil's class
teacher, and a parent blocks and unblocks another parent."""

from __future__ import annotations

import uuid
from unittest.mock import ANY

import pytest
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from accounts.actions.enrolment import assign_staff
from accounts.actions.people import create_account
from accounts.actions.schools import create_school
from accounts.models import Enrolment, Pupil, Role, School, SchoolClass, User
from archive import chain, scopes
from archive.models import Record
from messaging.models import Block, Conversation, Membership, Message
from tests.http import LiveClient

pytestmark = pytest.mark.django_db(transaction=True)


def _school() -> tuple[School, dict[str, User]]:
    school, _ = create_school("De Regenboog", slug="regenboog")
    people = {u: create_account(school, actor=None, username=u, display_name=n, role=r)
              for u, n, r in (("head", "Meester Henk", Role.ADMIN),
                              ("mirjam", "Juf Mirjam", Role.TEACHER),
                              ("pieter", "Meester Pieter", Role.TEACHER),
                              ("sam", "Sam", Role.PUPIL),
                              ("anna", "Anna de Boer", Role.PARENT),
                              ("mark", "Mark Visser", Role.PARENT))}
    User.objects.filter(school=school).update(is_active=True)  # they followed their invitations
    people = {k: User.objects.get(pk=u.pk) for k, u in people.items()}
    groep = SchoolClass.objects.create(school=school, name="Groep 7")
    assign_staff(people["mirjam"], groep, actor=people["head"])
    pupil = Pupil.objects.create(school=school, first_name="Sam", last_name="Bos",
                                 user=people["sam"])
    Enrolment.objects.create(pupil=pupil, school_class=groep, starts_on=timezone.localdate())
    return school, people


def test_the_admin_chooses_the_policy_and_a_teacher_meets_it(live_server: LiveServer) -> None:
    school, people = _school()
    head = LiveClient(live_server.url, people["head"])
    page = head.get("/school/policies/")
    assert page.status == 200
    assert "A one-to-one conversation between staff and a pupil" in page.text
    assert "is visible to the school&#x27;s safeguarding leads" in page.text
    answer = head.post("/school/policies/", {
        "pupil_accounts": "on", "digital_consent_age": "16", "require_staff_2fa": "on",
        "confirm_group_size": "15", "staff_pupil_direct_messages": "on",
        "staff_pupil_direct": "second_staff", "parent_direct_messages": "on",
        "lock_screen_text": "none", "offline_copies": "on"})
    assert answer.status == 200 and "Policies saved." in answer.text
    record = Record.objects.filter(scope=scopes.school(school.pk),
                                   kind="admin.policies_changed").get()
    assert record.payload.content == {"staff_pupil_direct_messages": True,
                                      "staff_pupil_direct": "second_staff",
                                      "parent_direct_messages": True, "pupil_accounts": True,
                                      "salt": ANY}

    pieter = LiveClient(live_server.url, people["pieter"])
    started = pieter.post(f"/people/{people['sam'].pk}/message", {}, form_page="/people/")
    assert started.status == 200, started.text[:2000]
    chat = Conversation.objects.get(kind=Conversation.Kind.DIRECT)
    assert set(Membership.objects.filter(conversation=chat).values_list(
        "user__username", flat=True)) == {"pieter", "sam", "mirjam"}
    assert "a second member of staff is in this conversation: Juf Mirjam" in started.text
    assert chain.verify().intact


def test_a_parent_blocks_and_unblocks_another(live_server: LiveServer) -> None:
    school, people = _school()
    School.objects.filter(pk=school.pk).update(parent_direct_messages=True)
    anna = LiveClient(live_server.url, people["anna"])
    mark = LiveClient(live_server.url, people["mark"])
    opened = mark.post(f"/people/{people['anna'].pk}/message", {}, form_page="/people/")
    assert opened.status == 200
    chat = Conversation.objects.get(kind=Conversation.Kind.DIRECT)
    path = f"/c/{chat.pk}/"
    assert mark.post(path, {"body": "Hello Anna", "client_id": str(uuid.uuid4())}).status == 200

    blocked = anna.post(f"/people/{people['mark'].pk}/block", {"blocked": "1"}, form_page=path)
    assert blocked.status == 200 and blocked.url.endswith(path)
    assert "You blocked Mark Visser" in blocked.text and "Unblock" in blocked.text
    assert Block.objects.filter(blocker=people["anna"], blocked=people["mark"]).exists()
    page = mark.get(path).text
    assert "This person does not accept your messages." in page and 'id="composer"' not in page
    refused = mark.post(path, {"body": "Why?", "client_id": str(uuid.uuid4())})
    assert refused.status == 400 and "This person does not accept your messages." in refused.text
    assert not Message.objects.filter(body="Why?").exists()

    unblocked = anna.post(f"/people/{people['mark'].pk}/block", {"blocked": "0"}, form_page=path)
    assert unblocked.status == 200 and "You unblocked Mark Visser." in unblocked.text
    assert mark.post(path, {"body": "Sorry", "client_id": str(uuid.uuid4())}).status == 200
    assert list(Record.objects.filter(kind__startswith="person.").order_by("pk")
                .values_list("kind", flat=True)) == ["person.blocked", "person.unblocked"]
    assert chain.verify().intact
