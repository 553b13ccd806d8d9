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
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

RECONNECT_ERRORS = (OSError, ConnectionClosed, InvalidHandshake, asyncio.TimeoutError)
ACK_TIMEOUT = 20  # seconds without any frame before the socket is given up and the sends resent


@dataclass(frozen=True)
class Endpoint:
    """Where a client connects: a daphne port directly, or the proxy in front of them."""

    url: str
    origin: str
    ssl: ssl.SSLContext | None = None

    @classmethod
    def direct(cls, port: int) -> Endpoint:
        return cls(f"ws://127.0.0.1:{port}/ws/", f"http://127.0.0.1:{port}")


Target = int | Endpoint


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


async def open_socket(target: Target, sessionid: str) -> tuple[ClientConnection, dict[str, Any]]:
    """Connect as the session's user (to a port, or an :class:`Endpoint`) and wait for the
    server's hello."""
    endpoint = target if isinstance(target, Endpoint) else Endpoint.direct(target)
    socket = await connect(
        endpoint.url,
        origin=endpoint.origin,  # type: ignore[arg-type]
        additional_headers={"Cookie": f"sessionid={sessionid}"},
        open_timeout=10, ping_interval=None, max_queue=None, ssl=endpoint.ssl,
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
    port: Callable[[], Target]
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
    """Streams ``total`` messages, at most ``window`` unacknowledged at a time.

    A send the server refuses with ``retry_after`` is sent again after that many seconds with
    the same ``client_id``; any other refusal of a send is final and recorded in ``refused``.
    ``waits`` holds, per acknowledged or refused send, the seconds from its first sending to its
    answer, reconnections included."""

    port: Callable[[], Target]
    sessionid: str
    conversation: int
    total: int
    window: int = 16
    acked: dict[str, tuple[int, int]] = field(default_factory=dict)  # client_id -> (id, seq)
    conflicting_acks: list[tuple[str, tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    refused: dict[str, dict[str, Any]] = field(default_factory=dict)  # client_id -> error
    errors: list[dict[str, Any]] = field(default_factory=list)
    first_sent: dict[str, float] = field(default_factory=dict)
    waits: dict[str, float] = field(default_factory=dict)
    connections: int = 0
    resent: int = 0
    progress: asyncio.Condition = field(default_factory=asyncio.Condition)
    _retries: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def answered(self) -> int:
        return len(self.acked) + len(self.refused)

    @property
    def longest_wait(self) -> float:
        """The longest a send has waited for its answer so far (unanswered ones included)."""
        now = time.monotonic()
        pending = [now - at for c, at in self.first_sent.items() if c not in self.waits]
        return max([*self.waits.values(), *pending], default=0.0)

    async def run(self) -> None:
        unacked: dict[str, str] = {}  # client_id -> body, in sending order
        next_number = 0
        backoff = 0.05
        while self.answered < self.total:
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
                for client_id, body in list(unacked.items()):
                    self.resent += 1
                    await socket.send(self._frame(client_id, body))
                while self.answered < self.total:
                    while len(unacked) < self.window and next_number < self.total:
                        next_number += 1
                        client_id, body = str(uuid.uuid4()), f"message {next_number}"
                        unacked[client_id] = body
                        self.first_sent[client_id] = time.monotonic()
                        await socket.send(self._frame(client_id, body))
                    event = json.loads(await asyncio.wait_for(socket.recv(), timeout=ACK_TIMEOUT))
                    await self._on_event(event, unacked, socket)
            except RECONNECT_ERRORS:
                pass
            finally:
                with contextlib.suppress(Exception):
                    await socket.close()

    def _frame(self, client_id: str, body: str) -> str:
        return json.dumps({"type": "send", "conversation": self.conversation,
                           "client_id": client_id, "body": body})

    async def _on_event(self, event: dict[str, Any], unacked: dict[str, str],
                        socket: ClientConnection) -> None:
        kind = event.get("type")
        client_id = str(event.get("client_id"))
        if kind == "ack":
            stored = (event["id"], event["seq"])
            earlier = self.acked.get(client_id)
            if earlier is not None and earlier != stored:
                self.conflicting_acks.append((client_id, earlier, stored))
            self.acked[client_id] = stored
            await self._answered(client_id, unacked)
        elif kind == "error":
            self.errors.append(event)
            if client_id not in unacked:
                raise AssertionError(f"the server refused something not in flight: {event}")
            if "retry_after" in event:
                body = unacked[client_id]

                async def resend() -> None:
                    await asyncio.sleep(float(event["retry_after"]))
                    with contextlib.suppress(*RECONNECT_ERRORS):
                        await socket.send(self._frame(client_id, body))

                self.resent += 1
                task = asyncio.get_running_loop().create_task(resend())
                self._retries.add(task)
                task.add_done_callback(self._retries.discard)
                return
            self.refused[client_id] = event
            await self._answered(client_id, unacked)

    async def _answered(self, client_id: str, unacked: dict[str, str]) -> None:
        unacked.pop(client_id, None)
        if client_id in self.first_sent:
            self.waits.setdefault(client_id, time.monotonic() - self.first_sent[client_id])
        async with self.progress:
            self.progress.notify_all()

    async def wait_for_acks(self, count: int) -> None:
        async with self.progress:
            await self.progress.wait_for(lambda: self.answered >= count)


async def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``predicate`` (bounded): the clients update their state as frames arrive."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


__all__ = ["Endpoint", "InvalidStatus", "Receiver", "Sender", "Target", "open_socket", "session_cookie",
           "wait_until"]
