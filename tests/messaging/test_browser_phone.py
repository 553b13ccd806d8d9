"""The chat on a phone, through a real daphne process and Chromium: the newest message above
the sticky composer, the connection state beside it, a socket that goes silent shown as lost
and resumed, a message written offline kept across a reload and sent once, and the inbox
updated live."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

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
from tests.live import Server, daphne_servers
from tests.messaging.test_browser import open_chat, send
from tests.notifications.test_browser import Phone, phone, worker_scope  # noqa: F401

pytestmark = pytest.mark.browser


def assert_newest_above_composer(page: Page) -> None:
    last = page.locator("#messages > li").last.bounding_box()
    composer = page.locator("#composer").bounding_box()
    assert last is not None and composer is not None
    assert last["y"] + last["height"] <= composer["y"] + 1, (last, composer)
    assert last["y"] >= 0  # on screen, not scrolled past


def test_the_newest_message_stays_above_the_composer_on_a_phone(
        live_server_url: str, login: Login, conversation_4b: Conversation,  # noqa: F811
        teacher: User, parent: User) -> None:
    for n in range(15):  # within the sender's burst allowance
        send_actions.post_message(teacher, conversation_4b, f"Note {n}: " + "bring a coat " * 8)
    page = login(live_server_url, "parent", viewport={"width": 390, "height": 700})
    open_chat(page, live_server_url, conversation_4b)
    assert_newest_above_composer(page)
    # The connection state sits in the composer, not at the top of the page.
    status = page.locator("#status").bounding_box()
    composer = page.locator("#composer").bounding_box()
    assert status is not None and composer is not None
    assert composer["y"] <= status["y"] <= composer["y"] + composer["height"]
    send(page, "On our way")
    expect(page.locator(".message.mine .body", has_text="On our way")).to_have_count(1)
    expect(page.locator(".message.pending")).to_have_count(0)
    assert_newest_above_composer(page)


@pytest.fixture
def quick_heartbeat_server(transactional_db: None, tmp_path: Path) -> Iterator[Server]:
    with daphne_servers(1, tmp_path, {"SCHOOLCHAT_SOCKET_HEARTBEAT_SECONDS": "2"}) as servers:
        yield servers[0]


def freeze(process: subprocess.Popen[bytes]) -> None:
    """SIGSTOP the server at a moment it holds no write lock. On SQLite a process frozen inside
    a write (a heartbeat's presence row) would keep every other writer waiting until it thaws,
    so a frozen holder is thawed for a moment and frozen again."""
    for _ in range(50):
        process.send_signal(signal.SIGSTOP)
        if connection.vendor != "sqlite":
            return
        probe = sqlite3.connect(connection.settings_dict["NAME"], timeout=0.5)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return
        except sqlite3.OperationalError:
            process.send_signal(signal.SIGCONT)
            time.sleep(0.1)
        finally:
            probe.close()
    raise AssertionError("the server never let go of the database's write lock")


def test_a_server_that_stops_answering_shows_as_lost_and_the_page_resumes(
        quick_heartbeat_server: Server, login: Login, conversation_4b: Conversation,  # noqa: F811
        teacher: User, parent: User) -> None:
    server = quick_heartbeat_server
    page = login(server.url, "parent")
    open_chat(page, server.url, conversation_4b)
    assert server.process is not None
    # Frozen, not closed: the socket stays open but nothing answers its heartbeat.
    freeze(server.process)
    try:
        expect(page.locator("#status")).to_have_text("Offline. Reconnecting…", timeout=15000)
        send_actions.post_message(teacher, conversation_4b, "Posted while the server was frozen")
    finally:
        server.process.send_signal(signal.SIGCONT)
    expect(page.locator("#status")).to_have_text("Connected", timeout=20000)
    expect(page.locator(".message .body", has_text="Posted while the server was frozen")
           ).to_have_count(1)


def test_the_browser_going_offline_shows_at_once(live_server_url: str, login: Login,  # noqa: F811
                                                 conversation_4b: Conversation,
                                                 parent: User) -> None:
    page = login(live_server_url, "parent")
    open_chat(page, live_server_url, conversation_4b)
    page.context.set_offline(True)
    expect(page.locator("#status")).to_have_text("Offline. Reconnecting…", timeout=3000)
    page.context.set_offline(False)
    expect(page.locator("#status")).to_have_text("Connected", timeout=10000)


def test_a_message_written_offline_survives_a_reload_and_is_sent_once(
        live_server_url: str, phone: Phone, conversation_4b: Conversation,  # noqa: F811
        parent: User) -> None:
    page = phone(live_server_url, "parent")
    assert worker_scope(page) == f"{live_server_url}/"
    open_chat(page, live_server_url, conversation_4b)
    page.context.set_offline(True)
    send(page, "Emma will be late")
    expect(page.locator(".message.pending", has_text="Emma will be late")).to_be_visible()
    page.reload()  # the device's copy of the page
    expect(page.locator(".message.pending", has_text="Emma will be late")).to_be_visible()
    assert not conversation_4b.messages.filter(body="Emma will be late").exists()
    page.context.set_offline(False)
    expect(page.locator("#status")).to_have_text("Connected", timeout=20000)
    expect(page.locator(".message.pending")).to_have_count(0)
    expect(page.locator(".message .body", has_text="Emma will be late")).to_have_count(1)
    page.reload()
    expect(page.locator("#status")).to_have_text("Connected")
    expect(page.locator(".message .body", has_text="Emma will be late")).to_have_count(1)
    assert conversation_4b.messages.filter(body="Emma will be late").count() == 1


def test_the_inbox_moves_a_new_message_to_the_top_with_its_unread_count(
        live_server_url: str, login: Login, conversation_4b: Conversation,  # noqa: F811
        announcements: Conversation, teacher: User, parent: User) -> None:
    send_actions.post_message(teacher, conversation_4b, "Swimming is on Tuesday")
    send_actions.post_message(teacher, announcements, "Term starts Monday")
    page = login(live_server_url, "parent")
    page.goto(f"{live_server_url}/")
    expect(page.locator("#inbox[data-subscribed='1']")).to_have_count(1)
    rows = page.locator("#conversation-list > li")
    expect(rows.first.locator(".title")).to_have_text("Announcements")
    send_actions.post_message(teacher, conversation_4b, "Bring a towel")
    expect(rows.first.locator(".title")).to_have_text("4B class group", timeout=10000)
    expect(rows.first.locator(".last")).to_have_text("Ms de Vries: Bring a towel")
    expect(rows.first.locator(".unread")).to_have_text("2 unread")
    expect(rows.first.locator("time")).not_to_be_empty()
