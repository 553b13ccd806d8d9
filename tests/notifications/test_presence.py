"""Issue 13: a device with the conversation open on screen gets no push; the same person's
other devices, and the same device once the page is closed or hidden, do. Driven through the
real consumer (its heartbeat) and the local push service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import Role, School, User
from messaging import presence
from messaging.actions import membership
from messaging.models import Conversation
from tests.factories import UserFactory
from tests.messaging.test_consumer import connect, post, receive_until, subscribe
from tests.notifications.conftest import register
from tests.notifications.push_service import PushService

pytestmark = pytest.mark.django_db(transaction=True)

register_async = database_sync_to_async(register)


async def beat(socket: WebsocketCommunicator, **fields: object) -> None:
    """A heartbeat, answered (after whatever the socket was sent before it)."""
    await socket.send_json_to({"type": "ping", **fields})
    await receive_until(socket, "pong")


async def test_the_device_showing_the_conversation_gets_no_push_until_it_is_closed(
        push_service: PushService, at: Callable[[datetime], None],
        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    phone, _ = await register_async(push_service, parent)
    laptop, _ = await register_async(push_service, parent)
    socket = await connect(parent)
    await subscribe(socket, conversation_4b)
    await receive_until(socket, "subscribed")
    await beat(socket, visible=True, endpoint=phone.endpoint)

    await post(teacher, conversation_4b, "Swimming is on")
    assert push_service.for_device(phone) == []           # it is on the phone's screen
    assert len(push_service.for_device(laptop)) == 1      # the laptop is not showing it

    await socket.disconnect()
    await post(teacher, conversation_4b, "Bring a towel")
    assert len(push_service.for_device(phone)) == 1
    assert len(push_service.for_device(laptop)) == 2


async def test_a_hidden_tab_is_not_looking(
        push_service: PushService, at: Callable[[datetime], None],
        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    phone, _ = await register_async(push_service, parent)
    socket = await connect(parent)
    await subscribe(socket, conversation_4b)
    await receive_until(socket, "subscribed")
    await beat(socket, visible=True, endpoint=phone.endpoint)
    await beat(socket, visible=False)
    await post(teacher, conversation_4b, "Trip tomorrow")
    assert len(push_service.for_device(phone)) == 1
    await beat(socket, visible=True)
    await post(teacher, conversation_4b, "Packed lunch")
    assert len(push_service.for_device(phone)) == 1
    await socket.disconnect()


async def test_a_page_cannot_silence_another_persons_device(
        push_service: PushService, at: Callable[[datetime], None], school: School,
        conversation_4b: Conversation, teacher: User, parent: User, admin: User) -> None:
    other = await database_sync_to_async(UserFactory)(username="parent2", role=Role.PARENT,
                                                      school=school)
    await database_sync_to_async(membership.add_member)(conversation_4b, other, actor=admin)
    others_phone, _ = await register_async(push_service, other)
    socket = await connect(parent)
    await subscribe(socket, conversation_4b)
    await receive_until(socket, "subscribed")
    await beat(socket, visible=True, endpoint=others_phone.endpoint)
    await post(teacher, conversation_4b, "Hello")
    assert len(push_service.for_device(others_phone)) == 1
    await socket.disconnect()


async def test_a_conversation_not_subscribed_is_not_open(
        push_service: PushService, at: Callable[[datetime], None],
        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    """The inbox page's socket hears every conversation but has none of them open."""
    phone, _ = await register_async(push_service, parent)
    socket = await connect(parent)
    await socket.send_json_to({"type": "inbox"})
    await receive_until(socket, "inbox_subscribed")
    await beat(socket, visible=True, endpoint=phone.endpoint)
    await post(teacher, conversation_4b, "Hello")
    assert len(push_service.for_device(phone)) == 1
    await socket.disconnect()


def test_an_entry_without_a_heartbeat_expires(monkeypatch: pytest.MonkeyPatch,
                                              conversation_4b: Conversation, parent: User) -> None:
    presence.store("s1", parent.pk, "https://push.invalid/1", {conversation_4b.pk}, {})
    assert presence.looking(conversation_4b.pk) == {(parent.pk, "https://push.invalid/1")}
    monkeypatch.setattr(presence, "ttl_seconds", lambda: -1)
    presence.store("s1", parent.pk, "https://push.invalid/1", {conversation_4b.pk}, {})
    assert presence.looking(conversation_4b.pk) == set()
