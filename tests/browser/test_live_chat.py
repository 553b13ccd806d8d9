"""The first slice end to end, as a teacher and parents would use it on their phones."""

import re

from playwright.sync_api import expect

from accounts.models import User
from messaging.models import Conversation
from tests.browser.conftest import Login


def test_a_teacher_posts_and_a_4b_parent_sees_it_live(live_server_url: str, login: Login,
                                                      conversation_4b: Conversation,
                                                      conversation_5a: Conversation, teacher: User,
                                                      parent: User, parent_5a: User) -> None:
    conversation_url = f"{live_server_url}/c/{conversation_4b.pk}/"
    teacher_page = login(live_server_url, "teacher")
    parent_page = login(live_server_url, "parent")
    for page in (teacher_page, parent_page):
        page.get_by_role("link", name=re.compile("4B class group")).click()
        page.wait_for_url(conversation_url)
        expect(page.locator("#status")).to_have_text("Connected")

    teacher_page.get_by_role("textbox", name="Message").fill("Swimming starts Tuesday <b>bring towels</b>")
    teacher_page.get_by_role("button", name="Send").click()

    # Within 2 seconds, without reloading the parent's page.
    arrived = parent_page.locator(".message .body", has_text="Swimming starts Tuesday")
    expect(arrived).to_have_text("Swimming starts Tuesday <b>bring towels</b>", timeout=2000)
    expect(parent_page.locator(".message b")).to_have_count(0)  # text, never markup
    # The sender's own copy is confirmed (no longer pending) once the server has stored it.
    expect(teacher_page.locator(".message.pending")).to_have_count(0, timeout=2000)
    assert conversation_4b.messages.get().body == "Swimming starts Tuesday <b>bring towels</b>"


def test_a_5a_parent_cannot_open_or_subscribe_to_4b(live_server_url: str, login: Login,
                                                    conversation_4b: Conversation,
                                                    conversation_5a: Conversation, parent_5a: User) -> None:
    page = login(live_server_url, "parent5a")
    expect(page.get_by_role("link", name=re.compile("4B class group"))).to_have_count(0)
    response = page.goto(f"{live_server_url}/c/{conversation_4b.pk}/")
    assert response is not None and response.status == 404

    # The socket refuses the subscription too, with the same answer as for a missing one.
    page.goto(f"{live_server_url}/")
    replies = page.evaluate(
        """(conversationId) => new Promise((resolve, reject) => {
            const ws = new WebSocket(`ws://${location.host}/ws/`);
            const got = [];
            ws.onmessage = (e) => {
                const ev = JSON.parse(e.data);
                got.push(ev);
                if (ev.type === "hello") {
                    ws.send(JSON.stringify({type: "subscribe", conversation: conversationId,
                                            after_seq: 0}));
                } else if (ev.type === "error" || ev.type === "subscribed") {
                    ws.close(); resolve(got);
                }
            };
            ws.onerror = () => reject("socket error");
            setTimeout(() => resolve(got), 3000);
        })""",
        conversation_4b.pk,
    )
    assert [r["type"] for r in replies] == ["hello", "error"]
    assert replies[-1]["code"] == "not_found"
    assert not any(r["type"] == "message" for r in replies)
