"""One person holds at most SCHOOLCHAT_SOCKETS_PER_PERSON sockets (default 10): the next one
closes that person's oldest with 4429 (docs/protocol.md), and nobody else's.

In one process, through the consumer: on the embedded default the count is this process's, with
REDIS_URL set it is Redis's (tests/messaging/test_socket_cap_live.py runs two processes)."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from pytest_django.fixtures import Settings

from accounts.models import Role, School, User
from messaging import socket_slots
from messaging.hub import get_hub
from messaging.socket_slots import CLOSE_TOO_MANY_SOCKETS
from safeguarding.consumers import QueueConsumer
from tests.factories import UserFactory
from tests.messaging.test_consumer import connect

pytestmark = pytest.mark.django_db(transaction=True)


async def answers(communicator: WebsocketCommunicator) -> bool:
    """The socket is open: a ping gets its pong."""
    await communicator.send_json_to({"type": "ping"})
    return bool(await communicator.receive_json_from(timeout=5) == {"type": "pong"})


async def closed_with(communicator: WebsocketCommunicator) -> int | None:
    output = await communicator.receive_output(timeout=5)
    return output.get("code") if output["type"] == "websocket.close" else None


async def test_the_eleventh_socket_closes_the_first(parent: User, teacher: User,
                                                    settings: Settings) -> None:
    assert settings.SCHOOLCHAT_SOCKETS_PER_PERSON == 10
    others = await connect(teacher)
    sockets = [await connect(parent) for _ in range(10)]
    for communicator in sockets:
        assert await answers(communicator)

    eleventh = await connect(parent)
    assert await closed_with(sockets[0]) == CLOSE_TOO_MANY_SOCKETS
    for communicator in [*sockets[1:], eleventh]:
        assert await answers(communicator)
        assert await communicator.receive_nothing(timeout=0.1)
    assert await answers(others)  # another person's socket is not counted with them

    # The twelfth closes the next oldest, the second.
    twelfth = await connect(parent)
    assert await closed_with(sockets[1]) == CLOSE_TOO_MANY_SOCKETS
    assert await answers(sockets[2])
    for communicator in [*sockets[2:], eleventh, twelfth, others]:
        await communicator.disconnect()


async def test_a_closed_socket_frees_its_slot_and_a_logout_still_closes_the_rest(
        parent: User, settings: Settings) -> None:
    settings.SCHOOLCHAT_SOCKETS_PER_PERSON = 3
    first, second, third = [await connect(parent) for _ in range(3)]
    await second.disconnect()
    fourth = await connect(parent)
    # Three open again: nobody is closed.
    for communicator in (first, third, fourth):
        assert await answers(communicator)
        assert await communicator.receive_nothing(timeout=0.1)
    fifth = await connect(parent)
    assert await closed_with(first) == CLOSE_TOO_MANY_SOCKETS
    for communicator in (third, fourth, fifth):
        assert await answers(communicator)
    # A logout's close, which names no socket, still reaches every one left.
    get_hub().disconnect_user(parent.pk, reason="logout")
    for communicator in (third, fourth, fifth):
        assert await closed_with(communicator) == 4401


@pytest.mark.skipif(not settings.REDIS_URL, reason="slots expire only in Redis")
async def test_an_open_socket_stays_counted_past_the_ttl_and_a_dead_process_s_do_not(
        parent: User, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each process refreshes its sockets' slots every heartbeat: a socket open longer than
    the TTL still counts (or an eleventh would not close anything), while the slots of a
    process that died (claimed, never refreshed) stop counting."""
    monkeypatch.setattr(socket_slots, "MIN_TTL_SECONDS", 1)
    settings.SCHOOLCHAT_SOCKET_HEARTBEAT_SECONDS = 1  # a TTL of 3 s
    settings.SCHOOLCHAT_SOCKETS_PER_PERSON = 3
    crashed = socket_slots.Slots()  # another process's count, that never refreshes
    await asyncio.to_thread(crashed._claim_shared, parent.pk, "crashed-process-socket", 3)
    oldest = await connect(parent)
    await asyncio.sleep(5)  # longer than the TTL
    newer = [await connect(parent) for _ in range(3)]
    assert await closed_with(oldest) == CLOSE_TOO_MANY_SOCKETS
    opened_key = f"{settings.SCHOOLCHAT_REDIS_PREFIX}sockets:user:{parent.pk}"
    counted = await asyncio.to_thread(socket_slots.slots()._redis().zrange, opened_key, 0, -1)
    assert b"crashed-process-socket" not in counted and len(counted) == 3
    for communicator in newer:
        assert await answers(communicator)
        await communicator.disconnect()
    crashed.stop()


async def test_a_leads_safeguarding_queue_stays_open_when_their_chats_pass_the_cap(
        school: School, settings: Settings) -> None:
    """The close names one chat socket: the lead's queue socket (which obeys every close of
    the person's sessions) is not closed with it."""
    settings.SCHOOLCHAT_SOCKETS_PER_PERSON = 2
    lead = await database_sync_to_async(UserFactory)(username="lead", role=Role.SAFEGUARDING,
                                                     school=school)
    queue = WebsocketCommunicator(QueueConsumer.as_asgi(), "/ws/safeguarding/")
    queue.scope["user"] = lead
    assert (await queue.connect())[0]
    assert await queue.receive_json_from() == {"type": "hello"}
    chats = [await connect(lead) for _ in range(3)]
    assert await closed_with(chats[0]) == CLOSE_TOO_MANY_SOCKETS
    assert await queue.receive_nothing(timeout=0.5)
    for communicator in [queue, *chats[1:]]:
        await communicator.disconnect()

