"""A leaver with an open tab, end to end against a real daphne process: the admin clicks
"Leave now" and the parent's socket closes within 2 seconds; no page loads for them after."""

import time

import pytest
from pytest_django.fixtures import Settings

from accounts.models import User
from messaging.actions import send
from messaging.models import Conversation
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    live_servers,
    login,
)
from tests.live import Server

pytestmark = pytest.mark.browser

OPEN_SOCKET = """() => new Promise((resolve, reject) => {
    window.closedWith = null;
    const ws = new WebSocket(`ws://${location.host}/ws/`);
    ws.onmessage = (e) => { if (JSON.parse(e.data).type === "hello") resolve(true); };
    ws.onclose = (e) => { window.closedWith = e.code; };
    ws.onerror = () => reject("socket error");
})"""


def test_a_parent_made_a_leaver_is_cut_off_at_once(live_server_url: str, login: Login,  # noqa: F811
                                                   conversation_4b: Conversation, teacher: User,
                                                   parent: User, admin: User) -> None:
    cut_off(live_server_url, live_server_url, login, conversation_4b, teacher, parent)


def test_the_leavers_socket_on_another_process_is_closed_too(live_servers: list[Server],  # noqa: F811
                                                             login: Login,  # noqa: F811
                                                             conversation_4b: Conversation,
                                                             teacher: User, parent: User, admin: User,
                                                             settings: Settings) -> None:
    if not settings.REDIS_URL:
        pytest.skip("processes meet through Redis; set REDIS_URL")
    cut_off(live_servers[1].url, live_servers[0].url, login, conversation_4b, teacher, parent)


def cut_off(parent_url: str, admin_url: str, login: Login,  # noqa: F811
            conversation_4b: Conversation, teacher: User, parent: User) -> None:
    from django.test import Client

    send.post_message(parent, conversation_4b, "Emma has a cold today")
    parent_page = login(parent_url, "parent")
    # A page with no socket of its own (the inbox and conversations open one, and go to the
    # login page when it is closed for a leaver), so the test's socket is the one watched.
    parent_page.goto(f"{parent_url}/consent/")
    assert parent_page.evaluate(OPEN_SOCKET) is True

    admin_page = login(admin_url, "admin")
    admin_page.goto(f"{admin_url}/school/people/{parent.pk}/")
    admin_page.get_by_label("Leave now").check()
    started = time.monotonic()
    admin_page.get_by_role("button", name="Set leave date").click()
    parent_page.wait_for_function("() => window.closedWith !== null", timeout=2000)
    elapsed = time.monotonic() - started
    assert parent_page.evaluate("() => window.closedWith") == 4403
    print(f"leaver's socket closed {elapsed:.3f} s after the click")
    assert elapsed < 2.0

    # Every page now sends them to the login page.
    for path in ("/", f"/c/{conversation_4b.pk}/"):
        parent_page.goto(f"{parent_url}{path}")
        assert parent_page.url.startswith(f"{parent_url}/login/")

    # Their earlier message is still there for the others.
    client = Client()
    client.force_login(teacher)
    page = client.get(f"/c/{conversation_4b.pk}/").content.decode()
    assert "Emma has a cold today" in page
