"""The inbox page, live, through a real daphne process and Chromium: it updates from the
message event its socket already receives, and that event is the one frame the socket gets for
the message (docs/protocol.md, "One frame per event per socket")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import WebSocket, expect

from accounts.models import User
from messaging.actions import send as send_actions
from messaging.models import Conversation
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    login,
)

pytestmark = pytest.mark.browser


def test_the_inbox_updates_from_the_message_event_alone(
        live_server_url: str, login: Login, conversation_4b: Conversation,  # noqa: F811
        announcements: Conversation, teacher: User, parent: User) -> None:
    send_actions.post_message(teacher, conversation_4b, "Swimming is on Tuesday")
    send_actions.post_message(teacher, announcements, "Term starts Monday")
    page = login(live_server_url, "parent")
    sockets: list[list[dict[str, Any]]] = []  # the frames each socket of the page received

    def listen(socket: WebSocket) -> None:
        frames: list[dict[str, Any]] = []
        sockets.append(frames)
        socket.on("framereceived", lambda payload: frames.append(json.loads(payload)))

    page.on("websocket", listen)
    page.goto(f"{live_server_url}/")
    expect(page.locator("#inbox[data-subscribed='1']")).to_have_count(1)
    rows = page.locator("#conversation-list > li")
    expect(rows.first.locator(".title")).to_have_text("Announcements")

    send_actions.post_message(teacher, conversation_4b, "Bring a towel")
    expect(rows.first.locator(".title")).to_have_text("4B class group", timeout=10000)
    expect(rows.first.locator(".last")).to_have_text("Ms de Vries: Bring a towel")
    expect(rows.first.locator(".unread")).to_have_text("2 unread")
    frames = sockets[-1]  # the inbox page's socket
    kinds = [frame["type"] for frame in frames if frame["type"] != "pong"]
    assert kinds == ["hello", "inbox_subscribed", "message"]
    assert frames[-1]["body"] == "Bring a towel"
