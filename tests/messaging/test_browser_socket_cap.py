"""A conversation page (or the inbox) whose socket is closed as the oldest of its person's too
many says so, and stays closed: reconnecting would close another of that person's tabs, and so
on."""

from __future__ import annotations

import asyncio

import pytest
from playwright.sync_api import expect
from websockets.asyncio.client import ClientConnection

from accounts.models import User
from messaging.models import Conversation
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    login,
)
from tests.fault.chat_client import open_socket, session_cookie
from tests.messaging.test_browser import open_chat
from tests.messaging.test_hub_poll_live import client_loop
from tests.messaging.test_socket_sessions_live import close_code_within

pytestmark = pytest.mark.browser

SENTENCE = ("This conversation was opened in too many tabs or devices; this one was closed. "
            "Reload the page to use it here.")


async def still_open_for(sockets: list[ClientConnection], seconds: float) -> list[int | None]:
    """Each socket's close code within ``seconds`` (None: still open)."""
    return list(await asyncio.gather(*(close_code_within(s, seconds) for s in sockets)))


def test_the_page_closed_as_one_tab_too_many_says_so_and_does_not_reconnect(
        live_server_url: str, login: Login, conversation_4b: Conversation,  # noqa: F811
        parent: User) -> None:
    page = login(live_server_url, "parent")
    open_chat(page, live_server_url, conversation_4b)
    port = int(live_server_url.rsplit(":", 1)[1])
    session = session_cookie(parent)
    with client_loop() as clients:
        # Ten more sockets of the same person (another device): the page's is the oldest.
        others = [clients.run(open_socket(port, session))[0] for _ in range(10)]
        expect(page.locator("#status")).to_have_text(SENTENCE)
        # Had the page reconnected, its new socket would have closed the oldest of these.
        codes = clients.run(still_open_for(others, 3.0))
        assert codes == [None] * 10
        expect(page.locator("#status")).to_have_text(SENTENCE)
        expect(page.locator("#chat")).to_have_attribute("data-connection", "offline")
        for socket in others:
            clients.run(socket.close())


def test_the_inbox_closed_as_one_tab_too_many_says_so(
        live_server_url: str, login: Login, conversation_4b: Conversation,  # noqa: F811
        parent: User) -> None:
    page = login(live_server_url, "parent")
    page.goto(f"{live_server_url}/")
    expect(page.locator("#inbox[data-subscribed='1']")).to_have_count(1)
    port = int(live_server_url.rsplit(":", 1)[1])
    session = session_cookie(parent)
    with client_loop() as clients:
        others = [clients.run(open_socket(port, session))[0] for _ in range(10)]
        expect(page.locator("#status")).to_have_text(
            "Schoolchat was opened in too many tabs or devices; this one was closed. "
            "Reload the page to use it here.")
        assert clients.run(still_open_for(others, 3.0)) == [None] * 10
        for socket in others:
            clients.run(socket.close())
