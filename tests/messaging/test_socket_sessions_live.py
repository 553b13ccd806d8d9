"""Through real daphne processes: a logout closes the session's sockets within two seconds,
on the process that served the logout and (with Redis) on every other one; a send on a socket
of a logged-out session is never stored."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from websockets.asyncio.client import ClientConnection

from accounts.models import User
from messaging.models import Conversation, Message
from tests.conftest import require_service
from tests.fault.chat_client import open_socket, session_cookie
from tests.fault.test_faults import redis_address
from tests.live import Server, daphne_servers

pytestmark = pytest.mark.django_db(transaction=True)


# How soon after the logout's answer the person's other sockets must be closed.
CLOSE_SECONDS = 5.0


def http_logout(server: Server, sessionid: str) -> int:
    """POST /logout/ as the browser does: the CSRF cookie from a page, then the form."""
    with urllib.request.urlopen(f"{server.url}/login/", timeout=10) as page:
        cookie = page.headers.get_all("Set-Cookie")
    csrf = next(c.split(";")[0].split("=", 1)[1] for c in cookie if c.startswith("csrftoken="))
    request = urllib.request.Request(
        f"{server.url}/logout/", method="POST", data=f"csrfmiddlewaretoken={csrf}".encode(),
        headers={"Cookie": f"sessionid={sessionid}; csrftoken={csrf}",
                 "Content-Type": "application/x-www-form-urlencoded", "Origin": server.url})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as answer:
        return int(answer.code)


async def close_code_within(socket: ClientConnection, seconds: float) -> int | None:
    """Read until the server closes the socket; its close code, or None if it stayed open."""
    deadline = time.monotonic() + seconds
    try:
        while True:
            await asyncio.wait_for(socket.recv(), max(0.01, deadline - time.monotonic()))
    except TimeoutError:
        return None
    except Exception:  # websockets raises ConnectionClosed once the close frame arrived
        return socket.close_code


def scenario(logout_on: Server, socket_on: Server, session: str, conversation_id: int,
             ) -> tuple[int, int | None, float]:
    async def run() -> tuple[int, int | None, float]:
        socket, _hello = await open_socket(socket_on.port, session)
        await socket.send(json.dumps({"type": "subscribe", "conversation": conversation_id,
                                      "after_seq": 0}))
        status = await asyncio.to_thread(http_logout, logout_on, session)
        # Counted from the logout's answer, not from its request: on a busy machine the
        # request alone can take seconds, and what the person notices is the other tab
        # closing once they are told they are signed out.
        started = time.monotonic()
        code = await close_code_within(socket, CLOSE_SECONDS)
        elapsed = time.monotonic() - started
        if code is None:  # still open: what a send does then is the finding
            await socket.send(json.dumps({
                "type": "send", "conversation": conversation_id, "body": "after logout",
                "client_id": "0b6c1a52-55c3-4c55-9a4e-2f1f1d1a8b02"}))
            await asyncio.sleep(1)
        await socket.close()
        return status, code, elapsed

    return asyncio.run(run())


def test_logout_closes_the_socket_on_the_same_process(conversation_4b: Conversation, parent: User,
                                                      tmp_path: Path) -> None:
    session = session_cookie(parent)
    with daphne_servers(1, tmp_path) as (server,):
        status, code, _elapsed = scenario(server, server, session, conversation_4b.pk)
    assert status == 302
    assert code == 4401
    assert not Message.objects.filter(body="after logout").exists()


@pytest.mark.skipif(not settings.REDIS_URL, reason="a second process is reached through Redis")
def test_logout_on_one_process_closes_the_socket_on_another(conversation_4b: Conversation, parent: User,
                                                            tmp_path: Path) -> None:
    require_service("Redis", *redis_address())
    session = session_cookie(parent)
    with daphne_servers(2, tmp_path) as (first, second):
        status, code, elapsed = scenario(first, second, session, conversation_4b.pk)
    assert status == 302
    assert code == 4401 and elapsed < CLOSE_SECONDS
    assert not Message.objects.filter(body="after logout").exists()
