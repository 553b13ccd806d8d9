"""A send whose answer never comes, on a phone: the page shows it as pending, sends it again
with the same client_id, and the message ends delivered once; a send that gets no answer at all
is shown as not sent with a "Try again" button that works from the keyboard.

The browser's socket runs through Playwright's websocket route, which plays the lost network:
it drops the page's frames it is told to, so the server never hears them (and never acks)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, WebSocketRoute, expect

from accounts.models import User
from messaging.models import Conversation, Message
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    login,
)
from tests.live import daphne_servers
from tests.messaging.test_browser import open_chat, send

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 740}


@pytest.fixture
def quick_ack_server_url(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    """A server whose pages wait 1 s (not 5) for an ack before resending: the four tries
    before "not sent" take 15 s instead of 75."""
    with daphne_servers(1, tmp_path, {"SCHOOLCHAT_SOCKET_ACK_TIMEOUT_SECONDS": "1"}) as servers:
        yield servers[0].url


class LossySocket:
    """The page's websocket, forwarded to the server except the sends it is told to lose."""

    def __init__(self, page: Page, *, lose: int) -> None:
        self.lose = lose  # how many send frames never reach the server; -1: all of them
        self.lost: list[dict[str, object]] = []
        self.passed: list[dict[str, object]] = []
        page.route_web_socket("**/ws/", self.route)

    def route(self, ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("type") == "send":
                if self.lose == -1 or len(self.lost) < self.lose:
                    self.lost.append(frame)
                    return
                self.passed.append(frame)
            server.send(message)

        ws.on_message(from_page)


def test_a_send_whose_first_try_is_lost_is_resent_and_delivered_once(
        quick_ack_server_url: str, login: Login, conversation_4b: Conversation,  # noqa: F811
        teacher: User, parent: User) -> None:
    url = quick_ack_server_url
    teacher_page = login(url, "teacher", viewport=PHONE)
    parent_page = login(url, "parent", viewport=PHONE)
    network = LossySocket(teacher_page, lose=1)
    open_chat(teacher_page, url, conversation_4b)
    open_chat(parent_page, url, conversation_4b)

    send(teacher_page, "Bring boots tomorrow")
    # Until the server has it, the message is on the page as pending, in words.
    pending = teacher_page.locator(".message.pending", has_text="Bring boots tomorrow")
    expect(pending.locator(".state")).to_have_text("sending…")
    expect(teacher_page.locator(".message.pending")).to_have_count(0, timeout=15_000)

    mine = teacher_page.locator(".message.mine .body", has_text="Bring boots tomorrow")
    expect(mine).to_have_count(1)
    expect(parent_page.locator(".message .body", has_text="Bring boots tomorrow")).to_have_count(1)
    # The one resend carried the first try's client_id: one message stored.
    assert len(network.lost) == 1 and len(network.passed) == 1
    assert network.passed[0]["client_id"] == network.lost[0]["client_id"]
    stored = list(Message.objects.filter(conversation=conversation_4b).values_list("body", "client_id"))
    assert [(body, str(cid)) for body, cid in stored] == [("Bring boots tomorrow",
                                                         network.lost[0]["client_id"])]


def test_a_send_that_never_gets_an_answer_shows_not_sent_and_try_again_works(
        quick_ack_server_url: str, login: Login, conversation_4b: Conversation,  # noqa: F811
        teacher: User, parent: User) -> None:
    url = quick_ack_server_url
    teacher_page = login(url, "teacher", viewport=PHONE)
    network = LossySocket(teacher_page, lose=-1)
    open_chat(teacher_page, url, conversation_4b)

    send(teacher_page, "Trip money by Friday")
    failed = teacher_page.locator(".message.failed", has_text="Trip money by Friday")
    expect(failed.locator(".state")).to_have_text("not sent", timeout=30_000)
    again = failed.get_by_role("button", name="Try again")
    expect(again).to_be_visible()
    box = again.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44
    assert len(network.lost) == 4  # bounded: four tries, then the page asks
    assert not Message.objects.filter(conversation=conversation_4b).exists()

    network.lose = 0  # the network is back
    again.focus()
    teacher_page.keyboard.press("Enter")
    expect(teacher_page.locator(".message.pending")).to_have_count(0, timeout=15_000)
    expect(teacher_page.locator(".message.mine .body", has_text="Trip money by Friday")).to_have_count(1)
    expect(teacher_page.get_by_role("button", name="Try again")).to_have_count(0)
    assert {f["client_id"] for f in network.passed} == {network.lost[0]["client_id"]}
    assert Message.objects.filter(conversation=conversation_4b).count() == 1


def test_not_sent_and_try_again_speak_the_persons_language(quick_ack_server_url: str, login: Login,  # noqa: F811
                                        conversation_4b: Conversation, teacher: User) -> None:
    User.objects.filter(pk=teacher.pk).update(language="nl")
    url = quick_ack_server_url
    teacher_page = login(url, "teacher", viewport=PHONE)
    LossySocket(teacher_page, lose=-1)
    teacher_page.goto(f"{url}/c/{conversation_4b.pk}/")
    expect(teacher_page.locator("#chat[data-subscribed='1']")).to_have_count(1)
    teacher_page.locator("#id_body").fill("Gymspullen mee")
    teacher_page.locator("#id_body").press("Enter")
    failed = teacher_page.locator(".message.failed", has_text="Gymspullen mee")
    expect(failed).to_have_count(1, timeout=30_000)
    expect(failed.locator(".state")).to_have_text("niet verstuurd")
    expect(failed.get_by_role("button", name="Opnieuw proberen")).to_be_visible()
