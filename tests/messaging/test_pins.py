"""Pinned messages: staff pin and unpin; pins travel in seq order like every other change."""

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from accounts.models import User
from archive.models import Record
from messaging.actions import edit, send
from messaging.models import Conversation, Event
from tests.messaging.test_consumer import connect, receive_until, subscribe

pytestmark = pytest.mark.django_db


def test_staff_pin_a_message_and_everyone_sees_it_above_the_chat(client: Client,
                                                                 conversation_4b: Conversation, teacher: User,
                                                                 parent: User) -> None:
    message, _ = send.post_message(teacher, conversation_4b, "Term dates: see the website")
    client.force_login(teacher)
    assert client.post(reverse("messaging:pin", args=[conversation_4b.pk, message.pk]),
                       {"pinned": "1"}).status_code == 302
    assert list(Event.objects.values_list("seq", "kind")) == [(1, "message"), (2, "pinned")]
    assert Record.objects.filter(kind="message.pinned").exists()
    client.force_login(parent)
    html = client.get(reverse("messaging:conversation", args=[conversation_4b.pk])).content.decode()
    pinned = html.split('id="pinned-list"')[1].split("</ul>")[0]
    assert "Term dates" in pinned
    edit.pin_message(teacher, message, pinned=False)
    assert list(Event.objects.values_list("kind", flat=True))[-1] == "unpinned"


@pytest.mark.parametrize(("persona", "status"), [("parent", 403), ("parent_5a", 404),
                                                 ("admin", 404)])
def test_others_cannot_pin(client: Client, request: pytest.FixtureRequest, conversation_4b: Conversation,
                           teacher: User, persona: str, status: int) -> None:
    message, _ = send.post_message(teacher, conversation_4b, "hello")
    user = request.getfixturevalue(persona)
    client.force_login(user)
    assert client.post(reverse("messaging:pin", args=[conversation_4b.pk, message.pk]),
                       {"pinned": "1"}).status_code == status
    with pytest.raises(PermissionDenied):
        edit.pin_message(user, message)
    assert Event.objects.count() == 1


@pytest.mark.django_db(transaction=True)
async def test_a_pin_reaches_members_live_and_on_resume(conversation_4b: Conversation, teacher: User,
                                                        parent: User) -> None:
    message, _ = await database_sync_to_async(send.post_message)(teacher, conversation_4b,
                                                                    "Bring wellies")
    parent_socket, teacher_socket = await connect(parent), await connect(teacher)
    for s in (parent_socket, teacher_socket):
        await subscribe(s, conversation_4b, after_seq=1)
        await receive_until(s, "subscribed")
    await teacher_socket.send_json_to({"type": "pin", "conversation": conversation_4b.pk,
                                       "id": message.pk, "pinned": True})
    assert (await receive_until(teacher_socket, "ack"))[-1]["action"] == "pin"
    live = (await receive_until(parent_socket, "pinned"))[-1]
    assert live == {"type": "pinned", "conversation": conversation_4b.pk, "seq": 2,
                    "id": message.pk, "pinned": True, "excerpt": "Bring wellies",
                    "sender": "Ms de Vries"}
    await parent_socket.send_json_to({"type": "pin", "conversation": conversation_4b.pk,
                                      "id": message.pk, "pinned": False})
    assert (await parent_socket.receive_json_from())["code"] == "forbidden"
    await parent_socket.disconnect()
    again = await connect(parent)
    await subscribe(again, conversation_4b, after_seq=0)
    replay = await receive_until(again, "subscribed")
    assert [e["type"] for e in replay] == ["message", "pinned", "subscribed"]
    assert replay[0]["pinned"] is True
    await again.disconnect()
    await teacher_socket.disconnect()
