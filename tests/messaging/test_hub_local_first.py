"""Local first: the process that commits an event hands it to its own sockets without a Redis
round trip, and Redis carries it to the other processes only, once each (messaging/hub.py).

Two hubs in one test stand for two daphne processes: each has its own Redis connections and
its own name in what it publishes."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from messaging.hub import RedisHub
from messaging.wire import Frame
from tests.conftest import require_service

# Nothing listens on port 1: every connection to this "Redis" is refused at once.
DEAD_REDIS = "redis://127.0.0.1:1/0"


class Socket:
    """What a consumer is to the hub: it records what it was handed."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.events: list[tuple[dict[str, Any], Frame | None]] = []
        self.changed = asyncio.Event()

    def deliver(self, event: dict[str, Any], frame: Frame | None = None) -> None:
        self.events.append((event, frame))
        self.changed.set()

    async def until(self, count: int) -> None:
        while len(self.events) < count:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), timeout=10)

    def seqs(self) -> list[int]:
        return [event["seq"] for event, _frame in self.events]


async def stop(*hubs: RedisHub) -> None:
    for hub in hubs:
        if hub._reader is not None:
            hub._reader.cancel()
            await asyncio.gather(hub._reader, return_exceptions=True)


def redis_url() -> str:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    parts = urlsplit(url)
    require_service("Redis", parts.hostname or "127.0.0.1", parts.port or 6379)
    return url


@pytest.fixture
async def two_processes() -> AsyncIterator[tuple[RedisHub, RedisHub]]:
    url = redis_url()
    here, there = RedisHub(url), RedisHub(url)
    yield here, there
    await stop(here, there)


def message(seq: int) -> dict[str, Any]:
    return {"type": "message", "conversation": 7, "seq": seq, "id": seq, "body": f"m{seq}",
            "sender": {"id": 1, "name": "Ms de Vries"}}


async def test_a_process_delivers_its_own_events_when_redis_takes_no_publish() -> None:
    hub = RedisHub(DEAD_REDIS)
    socket = Socket(user_id=2)
    await hub.attach(socket)
    await hub.join(7, socket)
    # From the commit's thread, as publish_on_commit calls it; Redis refuses the publish.
    await asyncio.to_thread(hub.publish, 7, message(1))
    await asyncio.to_thread(hub.publish_many, 7, [message(2), message(3)])
    await socket.until(3)
    assert socket.seqs() == [1, 2, 3]
    _event, frame = socket.events[0]
    assert frame is not None and json.loads(frame.text) == message(1)
    await stop(hub)


async def test_a_persons_sockets_here_close_when_redis_takes_no_publish() -> None:
    hub = RedisHub(DEAD_REDIS)
    socket = Socket(user_id=2)
    await hub.attach(socket)
    await asyncio.to_thread(hub.disconnect_user, 2, reason="deactivated")
    await socket.until(1)
    assert socket.events[0][0] == {"type": "_disconnect", "reason": "deactivated"}
    await stop(hub)


async def test_each_process_gets_each_event_once_and_in_order(
        two_processes: tuple[RedisHub, RedisHub]) -> None:
    here, there = two_processes
    mine, theirs = Socket(user_id=2), Socket(user_id=3)
    for hub, socket in ((here, mine), (there, theirs)):
        await hub.attach(socket)
        await hub.join(7, socket)

    await asyncio.to_thread(here.publish, 7, message(1))
    await asyncio.to_thread(here.publish_many, 7, [message(2), message(3)])
    await theirs.until(3)
    # Published after the other process heard 1-3: Redis brings `here` its own echoes of 1-3
    # (if it were to deliver them) before this one.
    await asyncio.to_thread(there.publish, 7, message(4))
    await mine.until(4)
    await theirs.until(4)
    assert mine.seqs() == [1, 2, 3, 4]
    assert theirs.seqs() == [1, 2, 3, 4]
    # What crossed Redis reaches the browser as the event alone, without the hub's name.
    for event, frame in theirs.events:
        assert frame is not None and json.loads(frame.text) == event


async def test_a_plain_json_event_on_the_channel_is_still_delivered(
        two_processes: tuple[RedisHub, RedisHub]) -> None:
    """An event published without a hub's name (a process of the version before) is heard."""
    here, _there = two_processes
    socket = Socket(user_id=2)
    await here.attach(socket)
    await here.join(7, socket)
    await asyncio.to_thread(here._client().publish, f"{here._prefix}conv:7",
                            json.dumps(message(1)))
    await socket.until(1)
    assert socket.seqs() == [1]
