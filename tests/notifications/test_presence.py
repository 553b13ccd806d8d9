"""Issue 13: a device with the conversation open on screen gets no push; the same person's
other devices, and the same device once the page is closed or hidden, do. Driven through the
real consumer (its heartbeat) and the local push service."""

from __future__ import annotations

import asyncio
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


async def test_heartbeats_that_change_nothing_are_written_once_per_round_for_all_sockets(
        monkeypatch: pytest.MonkeyPatch, conversation_4b: Conversation, teacher: User,
        parent: User) -> None:
    """Presence is written when it changes; a heartbeat only marks the socket alive, and the
    process's refresher extends every such socket's entries in one write per round."""
    stores: list[str] = []
    refreshes: list[list[str]] = []
    real_store, real_refresh = presence.store, presence.refresh

    def counting_store(socket_id: str, *args: object) -> None:
        stores.append(socket_id)
        real_store(socket_id, *args)  # type: ignore[arg-type]

    def counting_refresh(entries: list[tuple[str, int, str, set[int]]]) -> None:
        refreshes.append(sorted(entry[0] for entry in entries))
        real_refresh(entries)

    async def settled(socket: WebsocketCommunicator) -> None:
        """The socket has handled what was sent before: a heartbeat's pong comes before its
        presence write, and frames are handled one at a time, so a second pong follows it."""
        await beat(socket)

    monkeypatch.setattr(presence, "store", counting_store)
    monkeypatch.setattr(presence, "refresh", counting_refresh)
    sockets = [await connect(parent), await connect(teacher)]
    for socket in sockets:
        await subscribe(socket, conversation_4b)
        await receive_until(socket, "subscribed")
    for socket in sockets:
        await beat(socket, visible=True, endpoint="https://push.invalid/1")  # a change each
        await settled(socket)
    assert len(stores) == 2

    for _ in range(5):
        for socket in sockets:
            await beat(socket, visible=True, endpoint="https://push.invalid/1")
    for socket in sockets:
        await settled(socket)
    assert len(stores) == 2 and refreshes == []  # ten heartbeats, no write

    assert await presence.refresher().flush() == 2
    assert len(refreshes) == 1 and len(refreshes[0]) == 2  # one write for both sockets
    looking = await database_sync_to_async(presence.looking)(conversation_4b.pk)
    assert looking == {(parent.pk, "https://push.invalid/1"), (teacher.pk, "https://push.invalid/1")}

    # Only a socket that beat since the last round is extended; a silent one runs out.
    await beat(sockets[0], visible=True, endpoint="https://push.invalid/1")
    await settled(sockets[0])
    assert await presence.refresher().flush() == 1 and len(refreshes[1]) == 1
    # Hidden is a change: written at once, and the push sender sees it at once.
    await beat(sockets[0], visible=False)
    await settled(sockets[0])
    assert len(stores) == 3
    looking = await database_sync_to_async(presence.looking)(conversation_4b.pk)
    assert looking == {(teacher.pk, "https://push.invalid/1")}
    for socket in sockets:
        await socket.disconnect()
    assert await database_sync_to_async(presence.looking)(conversation_4b.pk) == set()


async def test_the_refresher_extends_a_beating_socket_by_itself_and_stops_when_it_closes(
        monkeypatch: pytest.MonkeyPatch, conversation_4b: Conversation, parent: User) -> None:
    refreshed = asyncio.Event()
    real_refresh = presence.refresh

    def noting_refresh(entries: list[tuple[str, int, str, set[int]]]) -> None:
        real_refresh(entries)
        loop.call_soon_threadsafe(refreshed.set)

    loop = asyncio.get_running_loop()
    monkeypatch.setattr(presence, "refresh_seconds", lambda: 0.01)
    monkeypatch.setattr(presence, "refresh", noting_refresh)
    socket = await connect(parent)
    await subscribe(socket, conversation_4b)
    await receive_until(socket, "subscribed")
    await beat(socket, visible=True)
    await beat(socket)
    await asyncio.wait_for(refreshed.wait(), timeout=10)
    await socket.disconnect()
    assert presence.refresher().sockets == {}
    assert await database_sync_to_async(presence.looking)(conversation_4b.pk) == set()
