"""LocalHub's poll of the database: told only where the database is ahead, and idle with no
sockets (the cross-process behaviour itself is in test_hub_poll_live.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from pytest_django.fixtures import Settings

from accounts.models import User
from messaging.actions.send import post_message
from messaging.hub import LocalHub, RedisHub
from messaging.models import Conversation

pytestmark = pytest.mark.django_db(transaction=True)


class FakeSocket:
    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.events: list[dict[str, Any]] = []

    def deliver(self, event: dict[str, Any], frame: Any = None) -> None:
        self.events.append(event)


async def joined(hub: LocalHub, user_id: int, conversation_id: int) -> FakeSocket:
    socket = FakeSocket(user_id)
    await hub.attach(socket)
    await hub.join(conversation_id, socket)
    return socket


async def test_only_the_conversation_the_database_is_ahead_in_is_told(
        conversation_4b: Conversation, conversation_5a: Conversation, teacher: User,
        parent: User, parent_5a: User) -> None:
    hub = LocalHub()
    member = await joined(hub, parent.pk, conversation_4b.pk)
    other = await joined(hub, parent_5a.pk, conversation_5a.pk)
    await asyncio.sleep(1.5)  # the first poll learns both heads (and tells both once)
    member.events.clear()
    other.events.clear()

    await database_sync_to_async(post_message)(teacher, conversation_4b, "Hello", limited=False)
    await asyncio.sleep(1.5)
    assert member.events == [{"type": "_resync", "conversation": conversation_4b.pk}]
    assert other.events == []

    member.events.clear()
    await asyncio.sleep(1.5)  # nothing new: nobody is told again
    assert member.events == []
    for socket in (member, other):
        await hub.detach(socket)


async def test_the_poll_stops_with_the_last_socket(conversation_4b: Conversation,
                                                   parent: User) -> None:
    hub = LocalHub()
    socket = await joined(hub, parent.pk, conversation_4b.pk)
    poller = hub._poller
    assert poller is not None and not poller.done()
    await hub.detach(socket)
    await asyncio.wait_for(poller, timeout=3)  # no more queries once no socket is open


async def test_the_poll_can_be_turned_off_and_the_redis_hub_never_polls(
        settings: Settings, conversation_4b: Conversation, parent: User) -> None:
    settings.SCHOOLCHAT_LOCAL_HUB_POLL_SECONDS = 0
    hub = LocalHub()
    socket = await joined(hub, parent.pk, conversation_4b.pk)
    assert hub._poller is None
    await hub.detach(socket)
    assert RedisHub.polls is False
