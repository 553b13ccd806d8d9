"""The embedded default across processes: what another process commits reaches a real daphne's
sockets within seconds, with no Redis.

Under ``make serve`` the Celery worker is a process of its own, and the in-process hub of
daphne hears nothing it publishes. Here the test process plays the worker: it posts a message
(as a "Send later" message is posted at its time) and processes a leaver through the actions,
committing to the database daphne serves, while daphne runs ``LocalHub`` (forced, so the test
means the same with ``REDIS_URL`` set: this process then publishes to Redis, where that daphne
does not listen).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from accounts.actions.leavers import process_leaver
from accounts.models import User
from messaging.actions.send import post_message
from messaging.models import Conversation
from tests.fault.chat_client import open_socket, session_cookie
from tests.live import Server, daphne_servers

pytestmark = pytest.mark.django_db(transaction=True)

T = TypeVar("T")
WITHIN_SECONDS = 5.0
LOCAL_HUB = {"SCHOOLCHAT_HUB": "messaging.hub.LocalHub"}


class ClientLoop:
    """An event loop in a thread for the websocket clients, so the test's own thread keeps the
    database connection the actions commit on."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@contextlib.contextmanager
def client_loop() -> Iterator[ClientLoop]:
    loop = ClientLoop()
    try:
        yield loop
    finally:
        loop.close()


async def subscribed_socket(server: Server, user: Any, conversation_id: int) -> Any:
    """A socket of ``user`` (signed in beforehand) subscribed to the conversation from seq 0."""
    socket, _hello = await open_socket(server.port, user.sessionid)
    await socket.send(json.dumps({"type": "subscribe", "conversation": conversation_id,
                                  "after_seq": 0}))
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
        if frame["type"] == "subscribed":
            return socket


def sign_in(*users: Any) -> None:
    for user in users:
        user.sessionid = session_cookie(user)


async def frames_for(socket: Any, seconds: float) -> tuple[list[dict[str, Any]], int | None]:
    """Every frame the socket gets for ``seconds``, and its close code if the server closed it."""
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            frames.append(json.loads(await asyncio.wait_for(socket.recv(), left)))
    except TimeoutError:
        return frames, None
    except Exception:  # websockets raises ConnectionClosed once the close frame arrived
        return frames, socket.close_code
    return frames, None


async def first_message(socket: Any, body: str, seconds: float) -> float | None:
    """Seconds until a message with ``body`` arrived on the socket; None if none did in time."""
    started = time.monotonic()
    deadline = started + seconds
    with contextlib.suppress(TimeoutError):
        while (left := deadline - time.monotonic()) > 0:
            frame = json.loads(await asyncio.wait_for(socket.recv(), left))
            if frame.get("type") == "message" and frame.get("body") == body:
                return time.monotonic() - started
    return None


def test_a_message_posted_by_another_process_reaches_open_conversations(
        conversation_4b: Conversation, conversation_5a: Conversation, teacher: User,
        parent: User, parent_5a: User, tmp_path: Path) -> None:
    sign_in(parent, parent_5a)
    with daphne_servers(1, tmp_path, LOCAL_HUB) as (server,), client_loop() as clients:
        member = clients.run(subscribed_socket(server, parent, conversation_4b.pk))
        other_class = clients.run(subscribed_socket(server, parent_5a, conversation_5a.pk))

        post_message(teacher, conversation_4b, "The trip leaves at nine", limited=False)
        elapsed = clients.run(first_message(member, "The trip leaves at nine", WITHIN_SECONDS))
        # Another class's parent, on the same process, is told nothing of it.
        seen_elsewhere, _ = clients.run(frames_for(other_class, 2.0))

        # Once, in order: the next one follows with the next seq, and nothing is repeated.
        post_message(teacher, conversation_4b, "Bring a packed lunch", limited=False)
        later, _ = clients.run(frames_for(member, 3.0))
        for socket in (member, other_class):
            clients.run(socket.close())

    assert elapsed is not None, "the worker's message never reached the open conversation"
    assert not [f for f in seen_elsewhere if f.get("type") == "message"]
    messages = [f for f in later if f.get("type") == "message"]
    assert [m["body"] for m in messages] == ["Bring a packed lunch"]
    conversation_4b.refresh_from_db()
    assert messages[0]["seq"] == conversation_4b.last_seq


def test_a_leaver_processed_by_another_process_loses_their_socket(
        conversation_4b: Conversation, teacher: User, parent: User, tmp_path: Path) -> None:
    sign_in(parent, teacher)
    with daphne_servers(1, tmp_path, LOCAL_HUB) as (server,), client_loop() as clients:
        leaver = clients.run(subscribed_socket(server, parent, conversation_4b.pk))
        colleague = clients.run(subscribed_socket(server, teacher, conversation_4b.pk))

        process_leaver(parent)
        _frames, code = clients.run(frames_for(leaver, WITHIN_SECONDS))
        # Everyone else's socket stays open and answered.
        clients.run(colleague.send(json.dumps({"type": "ping"})))
        answers, colleague_code = clients.run(frames_for(colleague, 1.0))
        for socket in (leaver, colleague):
            clients.run(socket.close())

    assert code == 4403, "the leaver's socket stayed open"
    assert colleague_code is None
    assert {"type": "pong"} in answers
