"""One renderer of a message: a message that arrives live is drawn exactly as the same message
is after a reload, for its sender and for another member, whatever the browser's own language
and time zone. And a send the server refuses as too fast is shown, kept and sent again."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, FilePayload, Page, WebSocketRoute, expect

from accounts.models import User
from messaging.actions import send
from messaging.models import Conversation, Message
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    axe_audit,
    browser,
    live_server_url,
)
from tests.factories import PASSWORD
from tests.messaging.images import photo_with_location

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _media_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path / "media"))


# The message as a tree of tags, attributes and text. Left out, because they must differ or do
# not show: whitespace between tags (the template's indentation), and the CSRF token, which
# Django masks differently on every page it renders.
SNAPSHOT = """(node) => {
    const walk = (n) => {
        if (n.nodeType === Node.TEXT_NODE) {
            const text = n.textContent.replace(/\\s+/g, " ");
            return text.trim() ? text : null;
        }
        if (n.nodeType !== Node.ELEMENT_NODE) { return null; }
        const attrs = Array.from(n.attributes)
            .filter((a) => !(n.name === "csrfmiddlewaretoken" && a.name === "value"))
            .map((a) => [a.name, a.value]).sort();
        return [n.tagName.toLowerCase(), attrs, Array.from(n.childNodes).map(walk).filter((c) => c !== null)];
    };
    return JSON.stringify(walk(node), null, 1);
}"""


def person(browser: Browser, base_url: str, username: str) -> Page:  # noqa: F811
    """A phone in another language and time zone than the school's, so the page, not the
    browser, has to decide how a time is written."""
    context = browser.new_context(viewport={"width": 390, "height": 800}, locale="en-US",
                                  timezone_id="America/New_York")
    page = context.new_page()
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/")
    return page


def open_chat(page: Page, base_url: str, conversation: Conversation) -> None:
    page.goto(f"{base_url}/c/{conversation.pk}/")
    expect(page.locator("#chat[data-subscribed='1']")).to_have_count(1)


def snapshot(page: Page, message_id: int) -> dict[str, Any]:
    node = page.locator(f"#m{message_id}")
    expect(node).to_have_count(1)
    snapshot: dict[str, Any] = json.loads(node.evaluate(SNAPSHOT))
    return snapshot


@pytest.mark.parametrize("where", ["announcements", "conversation_4b"])
def test_a_live_message_looks_as_it_does_after_a_reload(request: pytest.FixtureRequest, where: str,
                                                        live_server_url: str,  # noqa: F811
                                                        browser: Browser,  # noqa: F811
                                                        teacher: User, parent: User) -> None:
    conversation = request.getfixturevalue(where)
    question, _ = send.post_message(teacher, conversation, "Who has the trip form? " + "x" * 130)
    teacher_page = person(browser, live_server_url, "teacher")
    parent_page = person(browser, live_server_url, "parent")
    for page in (teacher_page, parent_page):
        open_chat(page, live_server_url, conversation)

    # The teacher replies with a PDF and a photo, asking for acknowledgement where it can.
    teacher_page.locator(f"#m{question.pk} a.reply.quick").click()
    teacher_page.set_input_files("#id_file", files=[FilePayload(
        name="trip-form.pdf", mimeType="application/pdf",
        buffer=b"%PDF-1.4\n" + b"0" * 1500)])
    expect(teacher_page.locator("#attached li")).to_contain_text("trip-form.pdf")
    teacher_page.set_input_files("#id_file", files=[FilePayload(
        name="bus.jpg", mimeType="image/jpeg", buffer=photo_with_location())])
    teacher_page.get_by_label("No pupil can be identified").check()
    expect(teacher_page.locator("#attached li")).to_have_count(2)
    expect(teacher_page.locator("#attached li").nth(1)).to_contain_text("bus.jpg")
    ask = teacher_page.locator("#id_ack_requested")
    if ask.count():
        ask.check()
    teacher_page.get_by_role("textbox", name="Message").fill("Here: https://example.org/trip.")
    teacher_page.get_by_role("button", name="Send", exact=True).click()

    expect(parent_page.locator(".message .body", has_text="Here:")).to_have_count(1)
    expect(teacher_page.locator(".message.pending")).to_have_count(0)
    reply = Message.objects.get(reply_to=question)
    assert reply.attachments.count() == 2
    # The parent's page has shown it, so the teacher's page hears it was seen, as a reload says.
    expect(teacher_page.locator(f"#m{reply.pk} .seen")).to_have_text("Seen by 1 of 1")

    live = {name: snapshot(page, reply.pk)
            for name, page in (("teacher", teacher_page), ("parent", parent_page))}
    for name, page in (("teacher", teacher_page), ("parent", parent_page)):
        page.reload()
        expect(page.locator("#chat[data-subscribed='1']")).to_have_count(1)
        assert live[name] == snapshot(page, reply.pk), f"{name}'s live message differs"

    # What the comparison covers, spelled out: wording a member reads.
    text = parent_page.locator(f"#m{reply.pk}").inner_text()
    assert re.search(r"\(1\.5\s*KB\)", text)
    assert re.search(r"\b\d\d:\d\d\b", text) and not re.search(r"[AP]M", text)
    if where == "announcements":
        expect(parent_page.locator(f"#m{reply.pk} .action-list a.reply-private")).to_have_text(
            "Reply privately")
    expect(teacher_page.locator(f"#m{reply.pk} .own-actions summary")).to_have_text(
        "Edit or retract")


def test_a_send_refused_as_too_fast_is_shown_kept_and_sent_again(live_server_url: str, browser: Browser,  # noqa: F811
                                                                   conversation_4b: Conversation,
                                                                   teacher: User, parent: User) -> None:
    page = person(browser, live_server_url, "parent")
    # The socket passes through a stand-in that answers the first send as the server does
    # when someone posts too fast.
    sends: list[dict[str, Any]] = []

    def handler(route: WebSocketRoute) -> None:
        server = route.connect_to_server()

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("type") == "send" and not sends:
                sends.append(frame)
                route.send(json.dumps({
                    "type": "error", "code": "rate_limited", "client_id": frame["client_id"],
                    "conversation": frame["conversation"],
                    "message": "You are sending messages too fast.", "retry_after": 2}))
                return
            if frame.get("type") == "send":
                sends.append(frame)
            server.send(message)

        route.on_message(from_page)

    page.route_web_socket(re.compile(r".*/ws/$"), handler)
    open_chat(page, live_server_url, conversation_4b)
    page.get_by_role("textbox", name="Message").fill("Can Emma bring a friend?")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#composer-error")).to_have_text("You are sending messages too fast.")
    pending = page.locator(".message.pending")
    expect(pending).to_have_count(1)
    expect(pending.locator(".state")).to_have_text("not sent, retrying")
    assert not Message.objects.exists()
    # After the two seconds the server asked for, the same draft goes again and is stored once.
    expect(page.locator(".message.mine .body")).to_have_text("Can Emma bring a friend?",
                                                            timeout=10000)
    expect(page.locator(".message.pending")).to_have_count(0)
    expect(page.locator("#composer-error")).to_be_hidden()
    assert len(sends) == 2 and sends[0]["client_id"] == sends[1]["client_id"]
    assert Message.objects.get().body == "Can Emma bring a friend?"
