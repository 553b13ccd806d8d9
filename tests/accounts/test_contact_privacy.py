"""Contact details (e-mail, phone) of a person never reach another member: not in any page,
JSON answer or websocket event a member can get; only the person, the school's admins and the
DPO see them.

Every surface a 4B parent or the 4B teacher can reach is fetched with Mark's (another 4B
parent's) details distinctive enough that any leak shows up as a substring.
"""

import json
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from accounts.access import can
from accounts.models import Guardianship, Role, School, SchoolClass, User
from consent import actions as consent_actions
from messaging.actions import membership, send
from messaging.actions.classes import sync_class_conversation
from messaging.consumers import ChatConsumer
from messaging.models import Conversation, Membership
from tests.factories import PupilFactory, UserFactory, enrol

MARK_EMAIL, MARK_PHONE = "mark.private@example.invalid", "+31 6 9999 4242"
NEW_EMAIL, NEW_PHONE = "nina.private@example.invalid", "+31 6 7777 1313"
TEACHER_PHONE = "+31 6 1111 8888"


def leaks(text: str, *, own: tuple[str, ...] = ()) -> list[str]:
    secrets = {MARK_EMAIL, MARK_PHONE, NEW_EMAIL, NEW_PHONE, TEACHER_PHONE,
               "teacher@example.invalid", "anna@example.invalid", "+31 6 5555 0101"}
    return sorted(s for s in secrets - set(own) if s in text)


@pytest.fixture
def world(school: School, class_4b: SchoolClass, conversation_4b: Conversation, teacher: User, parent: User,
          admin: User) -> dict[str, Any]:
    teacher.phone = TEACHER_PHONE
    teacher.save(update_fields=["phone"])
    mark = UserFactory(username="mark", display_name="Mark Jansen", role=Role.PARENT,
                       school=school, email=MARK_EMAIL, phone=MARK_PHONE)
    emma = Guardianship.objects.get(guardian=parent).pupil
    Guardianship.objects.create(guardian=mark, pupil=emma, relationship="parent")
    membership.add_member(conversation_4b, mark, actor=admin)
    message, _ = send.post_message(mark, conversation_4b, "Mark writes here")
    send.post_message(teacher, conversation_4b, "The teacher answers")
    consent_actions.ensure_purposes(school)
    return {"conversation": conversation_4b, "mark": mark, "message": message, "emma": emma}


def surfaces(world: dict[str, Any], class_4b: SchoolClass) -> list[str]:
    conversation, message = world["conversation"], world["message"]
    c = conversation.pk
    return [
        reverse("messaging:inbox"),
        reverse("messaging:conversation", args=[c]),
        reverse("messaging:messages", args=[c]) + "?after_seq=0",
        reverse("messaging:events", args=[c]) + "?after_seq=0",
        reverse("messaging:receipts", args=[c, message.pk]),
        reverse("messaging:acknowledgements", args=[c, message.pk]),
        reverse("messaging:class_pupils", args=[c]),
        reverse("messaging:people"),
        reverse("messaging:search") + "?q=Mark",
        reverse("messaging:members", args=[c]),
        reverse("consent:index"),
        reverse("consent:coverage", args=[class_4b.pk]),
        reverse("consent:paper", args=[class_4b.pk]),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["parent", "teacher"])
def test_no_page_or_json_shows_another_members_contact_details(request: pytest.FixtureRequest,
                                                               world: dict[str, Any], class_4b: SchoolClass,
                                                               persona: str) -> None:
    user = request.getfixturevalue(persona)
    own = ("anna@example.invalid", "+31 6 5555 0101") if persona == "parent" else (
        "teacher@example.invalid", TEACHER_PHONE)
    client = Client()
    client.force_login(user)
    reached = 0
    for path in surfaces(world, class_4b):
        response = client.get(path)
        if response.status_code != 200:
            continue
        reached += 1
        assert leaks(response.content.decode(), own=own) == [], path
    # The surfaces are real for both: the chat, its JSON, the member list and consent pages.
    assert reached >= 9


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["admin", "dpo"])
def test_the_schools_admins_and_the_dpo_may_see_them(request: pytest.FixtureRequest, world: dict[str, Any],
                                                     persona: str) -> None:
    user = request.getfixturevalue(persona)
    assert can(user, "user.see_contact", world["mark"])
    client = Client()
    client.force_login(user)
    if persona == "admin":
        page = client.get(reverse("accounts:school_person", args=[world["mark"].pk]))
        assert MARK_EMAIL in page.content.decode()


@pytest.mark.django_db(transaction=True)
async def test_no_websocket_event_carries_contact_details(world: dict[str, Any], parent: User, admin: User,
                                                          school: School) -> None:
    conversation = world["conversation"]
    communicator = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/")
    communicator.scope["user"] = parent
    connected, _ = await communicator.connect()
    assert connected
    frames = [await communicator.receive_json_from(timeout=5)]
    await communicator.send_json_to({"type": "subscribe", "conversation": conversation.pk,
                                     "after_seq": 0})
    while frames[-1]["type"] != "subscribed":
        frames.append(await communicator.receive_json_from(timeout=5))

    # Live: someone joins (with contact details on their account), Mark posts, the
    # parent posts and gets the ack.
    @database_sync_to_async
    def happen() -> User:
        newcomer = UserFactory(username="nina", display_name="Nina Bakker", role=Role.PARENT,
                               school=school, email=NEW_EMAIL, phone=NEW_PHONE)
        enrol(PupilFactory(school=school), conversation.school_class, newcomer)
        sync_class_conversation(conversation.school_class, actor=admin)
        send.post_message(world["mark"], conversation, "Mark again, live")
        return newcomer

    newcomer = await happen()
    client_id = str(uuid.uuid4())
    await communicator.send_json_to({"type": "send", "conversation": conversation.pk,
                                     "client_id": client_id, "body": "Anna replies"})
    seen_live, acked = False, False
    while not (seen_live and acked):
        frame = await communicator.receive_json_from(timeout=5)
        frames.append(frame)
        text = json.dumps(frame, ensure_ascii=False)
        seen_live = seen_live or "Mark again, live" in text
        acked = acked or (frame.get("type") == "ack" and frame.get("client_id") == client_id)
    await communicator.disconnect()

    dumped = json.dumps(frames, ensure_ascii=False)
    assert "Mark writes here" in dumped and "Mark again, live" in dumped
    is_member = await database_sync_to_async(
        Membership.objects.filter(conversation=conversation, user=newcomer,
                                  ended_at__isnull=True).exists)()
    assert is_member
    assert leaks(dumped, own=("anna@example.invalid", "+31 6 5555 0101")) == []
