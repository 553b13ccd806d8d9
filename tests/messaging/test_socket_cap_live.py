"""Through real daphne processes: one person's sockets are counted over every process, and the
eleventh closes the first with 4429 wherever it is, leaving the other ten open.

With Redis, two processes share the count; on the embedded default (no Redis) one process
counts its own."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from django.conf import settings
from websockets.asyncio.client import ClientConnection

from accounts.models import User
from messaging.socket_slots import CLOSE_TOO_MANY_SOCKETS
from tests.conftest import require_service
from tests.fault.chat_client import open_socket, session_cookie
from tests.fault.test_faults import redis_address
from tests.live import Server, daphne_servers
from tests.messaging.test_socket_sessions_live import close_code_within

pytestmark = pytest.mark.django_db(transaction=True)

LOCAL_HUB = {"SCHOOLCHAT_HUB": "messaging.hub.LocalHub", "REDIS_URL": ""}


async def answers(socket: ClientConnection) -> bool:
    await socket.send(json.dumps({"type": "ping"}))
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
        if frame.get("type") == "pong":
            return True


async def eleven_sockets(session: str, servers: list[Server],
                         ) -> tuple[int | None, list[bool], int | None]:
    """Ten sockets dealt over the servers, all answering; then an eleventh on the last one.
    Returns the first socket's close code, whether the other ten still answer, and the close
    code of another person's socket (None: still open)."""
    first, _hello = await open_socket(servers[0].port, session)
    rest = [(await open_socket(servers[n % len(servers)].port, session))[0] for n in range(1, 10)]
    assert all([await answers(socket) for socket in [first, *rest]])
    eleventh, _hello = await open_socket(servers[-1].port, session)
    code = await close_code_within(first, 5.0)
    still = [await answers(socket) for socket in [*rest, eleventh]]
    # Nothing else closes in the next moment.
    others = await asyncio.gather(*(close_code_within(s, 1.0) for s in [*rest, eleventh]))
    for socket in [*rest, eleventh]:
        await socket.close()
    return code, still, next((c for c in others if c is not None), None)


@pytest.mark.skipif(not settings.REDIS_URL, reason="two processes count together through Redis")
def test_the_cap_holds_over_two_processes(parent: User, tmp_path: Path) -> None:
    require_service("Redis", *redis_address())
    session = session_cookie(parent)
    with daphne_servers(2, tmp_path) as servers:
        # The first socket is on the first process, the eleventh on the second.
        code, still, other_closed = asyncio.run(eleven_sockets(session, servers))
    assert code == CLOSE_TOO_MANY_SOCKETS
    assert still == [True] * 10 and other_closed is None


def test_the_cap_holds_on_the_embedded_default(parent: User, tmp_path: Path) -> None:
    session = session_cookie(parent)
    with daphne_servers(1, tmp_path, LOCAL_HUB) as servers:
        code, still, other_closed = asyncio.run(eleven_sockets(session, servers))
    assert code == CLOSE_TOO_MANY_SOCKETS
    assert still == [True] * 10 and other_closed is None
