"""Tagging pupils in a photo: the answers never tell a sender about another family.

Personas (on top of tests/conftest.py): ``emma`` is Anna's (``parent``) child in 4B; ``noah``
is another 4B child, of ``noah_parent``, also in the 4B group; ``mateo`` is Lucía's
(``parent_5a``) child in 5A; ``elsewhere`` is a pupil of another school.

The rule (messaging.access.taggable_pupils): a sender tags only pupils the conversation may
concern (a class group: its class's current pupils; any other conversation: the children of its
guardian members) and whose consent the sender may know (staff of the pupil's class, an admin,
the child's own guardian). Anything else gets one refusal, the same text and status whether the
pupil exists or not; a missing consent is named only to those who may know it.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

import consent
from accounts.actions import enrolment as enrolment_actions
from accounts.models import Guardianship, Pupil, School, SchoolClass, User
from consent import actions as consent_actions
from messaging.actions import direct, membership
from messaging.models import Attachment, Conversation
from tests.factories import PupilFactory, SchoolClassFactory, SchoolFactory, UserFactory, enrol
from tests.messaging.images import photo_with_location
from tests.messaging.test_consumer import connect, receive_until

pytestmark = pytest.mark.django_db

GENERIC = "One of the tagged pupils cannot be tagged here."


@pytest.fixture(autouse=True)
def _media(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def emma(parent: User, school: School) -> Pupil:
    consent_actions.ensure_purposes(school)
    pupil = Guardianship.objects.get(guardian=parent).pupil
    Pupil.objects.filter(pk=pupil.pk).update(first_name="Дмитрий", last_name="Петров")
    pupil.refresh_from_db()
    return pupil


@pytest.fixture
def noah_parent(school: School, class_4b: SchoolClass, conversation_4b: Conversation,
                admin: User) -> User:
    user = UserFactory(username="noah_parent", display_name="Sam Bakker", school=school)
    enrol(PupilFactory(school=school, first_name="Noah", last_name="Bakker"), class_4b, user)
    membership.add_member(conversation_4b, user, actor=admin)
    return user


@pytest.fixture
def noah(noah_parent: User) -> Pupil:
    return Guardianship.objects.get(guardian=noah_parent).pupil


@pytest.fixture
def mateo(parent_5a: User, school: School) -> Pupil:
    pupil = Guardianship.objects.get(guardian=parent_5a).pupil
    Pupil.objects.filter(pk=pupil.pk).update(first_name="Mateo", last_name="García")
    pupil.refresh_from_db()
    consent_actions.ensure_purposes(school)
    consent_actions.decide(parent_5a, pupil, consent.PHOTOS_CLASS, "granted")
    return pupil


@pytest.fixture
def elsewhere() -> Pupil:
    other = SchoolFactory(name="Other School", slug="other-school")
    guardian = UserFactory(username="other_parent", school=other)
    return enrol(PupilFactory(school=other, first_name="Olga", last_name="Smirnova"),
                 SchoolClassFactory(school=other, name="4B"), guardian)


def tag(client: Client, user: User, conversation: Conversation,
        *pupil_ids: int | str) -> tuple[int, dict[str, Any]]:
    client.force_login(user)
    response = client.post(reverse("messaging:upload", args=[conversation.pk]), {
        "file": SimpleUploadedFile("p.jpg", photo_with_location()),
        "pupils": [str(i) for i in pupil_ids]})
    return response.status_code, response.json()


def missing_id() -> int:
    return (Pupil.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


def assert_generic(answer: tuple[int, dict[str, Any]]) -> None:
    status, body = answer
    assert status == 400
    assert body == {"error": GENERIC, "code": "invalid_tag", "reasons": [GENERIC]}


# --- one answer for a pupil the sender may not tag ----------------------------------------------
@pytest.mark.parametrize("persona", ["teacher", "parent", "noah_parent"])
def test_an_unknown_foreign_or_other_class_pupil_gets_one_answer(
        request: pytest.FixtureRequest, client: Client, conversation_4b: Conversation, persona: str,
        mateo: Pupil, elsewhere: Pupil, noah: Pupil) -> None:
    user = request.getfixturevalue(persona)
    answers = [tag(client, user, conversation_4b, pupil_id)
               for pupil_id in (missing_id(), elsewhere.pk, mateo.pk, "x")]
    for answer in answers:
        assert_generic(answer)
    assert "García" not in str(answers)
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("granted", [True, False])
def test_a_parent_tagging_another_familys_child_learns_nothing_of_that_family(
        client: Client, conversation_4b: Conversation, parent: User, emma: Pupil, noah_parent: User,
        noah: Pupil, granted: bool) -> None:
    if granted:
        consent_actions.decide(parent, emma, consent.PHOTOS_CLASS, "granted")
    answer = tag(client, noah_parent, conversation_4b, emma.pk)
    assert_generic(answer)  # the same whether Emma's family consented or not
    assert "Петров" not in str(answer)
    # The tag list offers a parent their own child only.
    client.force_login(noah_parent)
    listed = client.get(reverse("messaging:class_pupils", args=[conversation_4b.pk])).json()
    assert [p["id"] for p in listed["pupils"]] == [noah.pk]


# --- a missing consent is named to those who may know it ----------------------------------------
@pytest.mark.parametrize("persona", ["teacher", "parent"])
def test_a_missing_consent_is_named_to_the_class_staff_and_the_childs_parent(
        request: pytest.FixtureRequest, client: Client, conversation_4b: Conversation, emma: Pupil,
        persona: str) -> None:
    status, body = tag(client, request.getfixturevalue(persona), conversation_4b, emma.pk)
    assert status == 400 and body["code"] == "no_photo_consent"
    assert body["reasons"] == [f"{emma} has no consent for “Photos in class groups”."]


@pytest.mark.parametrize("persona", ["teacher", "parent"])
def test_with_consent_the_class_staff_and_the_parent_may_tag(request: pytest.FixtureRequest, client: Client,
                                                             conversation_4b: Conversation, parent: User,
                                                             emma: Pupil, persona: str) -> None:
    consent_actions.decide(parent, emma, consent.PHOTOS_CLASS, "granted")
    status, body = tag(client, request.getfixturevalue(persona), conversation_4b, emma.pk)
    assert status == 201, body


def test_the_teacher_is_offered_every_pupil_of_the_class(client: Client, conversation_4b: Conversation,
                                                         teacher: User, emma: Pupil, noah: Pupil,
                                                         mateo: Pupil) -> None:
    client.force_login(teacher)
    listed = client.get(reverse("messaging:class_pupils", args=[conversation_4b.pk])).json()
    assert {p["id"] for p in listed["pupils"]} == {emma.pk, noah.pk}


# --- the parent of another class, and a one-to-one ----------------------------------------------
def test_the_parent_of_another_class_cannot_reach_the_class_group(client: Client,
                                                                  conversation_4b: Conversation,
                                                                  parent_5a: User, emma: Pupil) -> None:
    client.force_login(parent_5a)
    response = client.post(reverse("messaging:upload", args=[conversation_4b.pk]), {
        "file": SimpleUploadedFile("p.jpg", photo_with_location()), "pupils": [emma.pk]})
    assert response.status_code == 404


@pytest.fixture
def direct_5a(teacher: User, parent_5a: User) -> Conversation:
    return direct.open_direct(teacher, parent_5a)


def test_a_one_to_one_concerns_only_the_children_of_its_guardian(
        client: Client, direct_5a: Conversation, teacher: User, parent_5a: User, emma: Pupil, mateo: Pupil,
        parent: User) -> None:
    consent_actions.decide(parent, emma, consent.PHOTOS_CLASS, "granted")
    # Lucía tags her own son: allowed. A pupil of another class is no pupil of this talk.
    assert tag(client, parent_5a, direct_5a, mateo.pk)[0] == 201
    assert_generic(tag(client, parent_5a, direct_5a, emma.pk))
    # 4B's teacher may not tag Emma here (not Lucía's child), nor Mateo (not her pupil).
    assert_generic(tag(client, teacher, direct_5a, emma.pk))
    assert_generic(tag(client, teacher, direct_5a, mateo.pk))
    client.force_login(parent_5a)
    listed = client.get(reverse("messaging:class_pupils", args=[direct_5a.pk])).json()
    assert [p["id"] for p in listed["pupils"]] == [mateo.pk]


def test_a_one_to_one_photo_of_the_guardians_child_needs_consent_named_to_her(
        client: Client, direct_5a: Conversation, parent_5a: User, mateo: Pupil) -> None:
    consent_actions.decide(parent_5a, mateo, consent.PHOTOS_CLASS, "withdrawn")
    status, body = tag(client, parent_5a, direct_5a, mateo.pk)
    assert status == 400 and body["reasons"] == [
        f"{mateo} has no consent for “Photos in class groups”."]


# --- the admin ----------------------------------------------------------------------------------
@pytest.fixture
def staff_room(school: School, admin: User, parent: User) -> Conversation:
    conversation = Conversation.objects.create(school=school, kind=Conversation.Kind.GROUP,
                                               title="Parents' council")
    membership.add_member(conversation, admin, actor=admin, manager=True)
    membership.add_member(conversation, parent, actor=admin)
    return conversation


def test_the_admin_tags_the_children_a_group_concerns_and_no_other(
        client: Client, conversation_4b: Conversation, staff_room: Conversation, admin: User, parent: User,
        emma: Pupil, mateo: Pupil, elsewhere: Pupil) -> None:
    # Not a member of the 4B group: that conversation does not exist for the admin.
    client.force_login(admin)
    response = client.post(reverse("messaging:upload", args=[conversation_4b.pk]), {
        "file": SimpleUploadedFile("p.jpg", photo_with_location()), "pupils": [emma.pk]})
    assert response.status_code == 404
    # In a group with Emma's mother: Emma may be tagged, with her consent named when missing.
    status, body = tag(client, admin, staff_room, emma.pk)
    assert status == 400 and body["reasons"] == [
        f"{emma} has no consent for “Photos in class groups”."]
    consent_actions.decide(parent, emma, consent.PHOTOS_CLASS, "granted")
    assert tag(client, admin, staff_room, emma.pk)[0] == 201
    # Mateo's family is not in this group; Olga is of another school.
    assert_generic(tag(client, admin, staff_room, mateo.pk))
    assert_generic(tag(client, admin, staff_room, elsewhere.pk))


# --- the websocket send path --------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
async def test_a_photo_sent_over_the_socket_after_its_pupil_moved_class_is_refused_unnamed(
        conversation_4b: Conversation, teacher: User, parent: User, emma: Pupil,
        class_5a: SchoolClass) -> None:
    from messaging.actions.attachments import upload as store

    def prepare() -> Attachment:
        consent_actions.decide(parent, emma, consent.PHOTOS_CLASS, "granted")
        photo = store(teacher, conversation_4b,
                      SimpleUploadedFile("p.jpg", photo_with_location()), pupils=[emma])
        enrolment_actions.enrol(emma, class_5a)  # today: no longer a pupil of 4B
        return photo

    photo = await database_sync_to_async(prepare)()
    socket = await connect(teacher)
    await socket.send_json_to({"type": "send", "conversation": conversation_4b.pk,
                               "client_id": str(uuid.uuid4()), "body": "Look!",
                               "attachments": [photo.token]})
    error = (await receive_until(socket, "error"))[-1]
    assert error["message"] == GENERIC
    assert "Петров" not in str(error)
    await socket.disconnect()
