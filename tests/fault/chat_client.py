"""Websocket chat clients that behave as the browser client does, for the fault tests.

A :class:`Receiver` keeps the last ``seq`` it saw and, whenever its socket drops, reconnects
with backoff and subscribes again with ``after_seq``. A :class:`Sender` streams messages with
a ``client_id`` each, keeps a window of unacknowledged sends and, after reconnecting, sends every
unacknowledged one again with the same ``client_id``. Both record everything, so the test can
check afterwards what the database holds and what every client was shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

RECONNECT_ERRORS = (OSError, ConnectionClosed, InvalidHandshake, asyncio.TimeoutError)


def session_cookie(user: Any) -> str:
    """A logged-in session for ``user``, as the login view would create it (sync; ORM)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    assert store.session_key is not None
    return store.session_key


async def open_socket(port: int, sessionid: str) -> tuple[ClientConnection, dict[str, Any]]:
    """Connect as the session's user and wait for the server's hello."""
    socket = await connect(
        f"ws://127.0.0.1:{port}/ws/",
        origin=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
        additional_headers={"Cookie": f"sessionid={sessionid}"},
        open_timeout=10, ping_interval=None, max_queue=None,
    )
    hello = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
    if hello.get("type") != "hello":
        await socket.close()
        raise AssertionError(f"expected hello, got {hello}")
    return socket, hello


@dataclass
class Receiver:
    """A member's socket subscribed to one conversation, resuming by seq after every drop."""

    name: str
    port: Callable[[], int]
    sessionid: str
    conversation: int
    seqs: list[int] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    connections: int = 0
    refusals: list[dict[str, Any]] = field(default_factory=list)
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def last_seq(self) -> int:
        return self.seqs[-1] if self.seqs else 0

    async def run(self) -> None:
        backoff = 0.05
        while True:
            try:
                socket, _hello = await open_socket(self.port(), self.sessionid)
            except RECONNECT_ERRORS:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 1.0)
                continue
            backoff = 0.05
            self.connections += 1
            try:
                await socket.send(json.dumps({"type": "subscribe", "conversation": self.conversation,
                                              "after_seq": self.last_seq}))
                async for raw in socket:
                    self._on_event(json.loads(raw))
            except RECONNECT_ERRORS:
                pass
            finally:
                with contextlib.suppress(Exception):
                    await socket.close()

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "subscribed" and event.get("conversation") == self.conversation:
            self.subscribed.set()
        elif kind == "message" and event.get("conversation") == self.conversation:
            # Recorded as shown, duplicates and disorder included: the test judges them.
            self.seqs.append(event["seq"])
            self.ids.append(event["id"])
        elif kind == "error":
            self.refusals.append(event)


@dataclass
class Sender:
    """Streams ``total`` messages, at most ``window`` unacknowledged at a time."""

    port: Callable[[], int]
    sessionid: str
    conversation: int
    total: int
    window: int = 16
    acked: dict[str, tuple[int, int]] = field(default_factory=dict)  # client_id -> (id, seq)
    conflicting_acks: list[tuple[str, tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    connections: int = 0
    resent: int = 0
    progress: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def run(self) -> None:
        unacked: dict[str, str] = {}  # client_id -> body, in sending order
        next_number = 0
        backoff = 0.05
        while len(self.acked) < self.total:
            try:
                socket, _hello = await open_socket(self.port(), self.sessionid)
            except RECONNECT_ERRORS:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 1.0)
                continue
            backoff = 0.05
            self.connections += 1
            try:
                # Whatever was in flight when the last socket dropped may or may not be stored:
                # send it again with the same client_id; the server answers with the one copy.
                for client_id, body in unacked.items():
                    self.resent += 1
                    await socket.send(self._frame(client_id, body))
                while len(self.acked) < self.total:
                    while len(unacked) < self.window and next_number < self.total:
                        next_number += 1
                        client_id, body = str(uuid.uuid4()), f"message {next_number}"
                        unacked[client_id] = body
                        await socket.send(self._frame(client_id, body))
                    event = json.loads(await asyncio.wait_for(socket.recv(), timeout=20))
                    await self._on_event(event, unacked)
            except RECONNECT_ERRORS:
                pass
            finally:
                with contextlib.suppress(Exception):
                    await socket.close()

    def _frame(self, client_id: str, body: str) -> str:
        return json.dumps({"type": "send", "conversation": self.conversation,
                           "client_id": client_id, "body": body})

    async def _on_event(self, event: dict[str, Any], unacked: dict[str, str]) -> None:
        kind = event.get("type")
        if kind == "ack":
            client_id = event["client_id"]
            stored = (event["id"], event["seq"])
            earlier = self.acked.get(client_id)
            if earlier is not None and earlier != stored:
                self.conflicting_acks.append((client_id, earlier, stored))
            self.acked[client_id] = stored
            unacked.pop(client_id, None)
            async with self.progress:
                self.progress.notify_all()
        elif kind == "error":
            self.errors.append(event)
            raise AssertionError(f"the server refused a send: {event}")

    async def wait_for_acks(self, count: int) -> None:
        async with self.progress:
            await self.progress.wait_for(lambda: len(self.acked) >= count)


async def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``predicate`` (bounded): the clients update their state as frames arrive."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


__all__ = ["InvalidStatus", "Receiver", "Sender", "open_socket", "session_cookie", "wait_until"]
