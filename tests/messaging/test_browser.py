"""The browser client, as members use it on a phone-sized screen: retract, edit, acknowledge,
attach a photo, and confirm a large audience. Uses the shared live daphne server and Chromium
fixtures of tests/browser/conftest.py."""

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import FilePayload, Page, expect

from accounts.models import Role, School, SchoolClass, User
from messaging.actions import membership
from messaging.actions import send as send_actions
from messaging.models import Attachment, Conversation, Message
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    live_servers,
    login,
)
from tests.factories import PupilFactory, UserFactory, enrol
from tests.live import Server
from tests.messaging.images import GPS_IFD, photo_with_location

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _media_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The live server stores uploads in this test's own directory (autouse: set before the
    server starts)."""
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path / "media"))


def open_chat(page: Page, base_url: str, conversation: Conversation) -> None:
    page.goto(f"{base_url}/c/{conversation.pk}/")
    expect(page.locator("#status")).to_have_text("Connected")
    expect(page.locator("#chat[data-subscribed='1']")).to_have_count(1)


def send(page: Page, text: str) -> None:
    page.get_by_role("textbox", name="Message").fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def test_a_parent_retracts_and_the_teacher_sees_message_retracted(live_server_url: str, login: Login,  # noqa: F811
                                                                  conversation_4b: Conversation,
                                                                  teacher: User, parent: User) -> None:
    teacher_page, parent_page = login(live_server_url, "teacher"), login(live_server_url, "parent")
    for page in (teacher_page, parent_page):
        open_chat(page, live_server_url, conversation_4b)
    send(parent_page, "Emma is ill today, phone 0612345678")
    expect(teacher_page.locator(".message .body", has_text="Emma is ill")).to_have_count(1)
    own = parent_page.locator(".message.mine").last
    expect(own).not_to_have_class(re.compile("pending"))
    own.locator(".actions > summary").click()
    own.locator(".own-actions > summary").click()
    parent_page.once("dialog", lambda dialog: dialog.accept())
    own.get_by_role("button", name="Retract").click()
    expect(teacher_page.locator(".message.retracted .body")).to_have_text("message retracted")
    expect(teacher_page.locator("text=0612345678")).to_have_count(0)
    expect(parent_page.locator(".message.retracted")).to_have_count(1)
    assert Message.objects.get().retracted_at is not None


def test_a_parent_edits_and_the_teacher_sees_edited(live_server_url: str, login: Login,  # noqa: F811
                                                    conversation_4b: Conversation, teacher: User,
                                                    parent: User) -> None:
    teacher_page, parent_page = login(live_server_url, "teacher"), login(live_server_url, "parent")
    for page in (teacher_page, parent_page):
        open_chat(page, live_server_url, conversation_4b)
    send(parent_page, "Pick-up at 3")
    expect(teacher_page.locator(".message .body", has_text="Pick-up at 3")).to_have_count(1)
    own = parent_page.locator(".message.mine").last
    expect(own).not_to_have_class(re.compile("pending"))
    own.locator(".actions > summary").click()
    own.locator(".own-actions > summary").click()
    own.locator("textarea").fill("Pick-up at 4")
    own.get_by_role("button", name="Save edit").click()
    edited = teacher_page.locator(".message").last
    expect(edited.locator(".body")).to_have_text("Pick-up at 4")
    expect(edited.locator(".edited")).to_have_text("edited")


def test_a_parent_acknowledges_and_staff_see_who_has(live_server_url: str, login: Login,  # noqa: F811
                                                     announcements: Conversation, teacher: User,
                                                     parent: User) -> None:
    notice, _ = send_actions.post_message(teacher, announcements, "Sign the trip form",
                                     ack_requested=True)
    parent_page = login(live_server_url, "parent")
    open_chat(parent_page, live_server_url, announcements)
    parent_page.locator(f"#m{notice.pk} .actions > summary").click()
    parent_page.get_by_role("button", name="Acknowledge").click()
    expect(parent_page.locator(".acked-note")).to_have_text("You acknowledged this")
    teacher_page = login(live_server_url, "teacher")
    teacher_page.goto(f"{live_server_url}/c/{announcements.pk}/m/{notice.pk}/acknowledgements")
    expect(teacher_page.locator("#family-count")).to_have_text("1 of 1 family acknowledged")
    expect(teacher_page.locator("#acknowledged")).to_contain_text("Anna Jansen")


def test_an_uploaded_photo_is_served_without_its_location(live_server_url: str, login: Login,  # noqa: F811
                                                          conversation_4b: Conversation, teacher: User,
                                                          parent: User) -> None:
    teacher_page, parent_page = login(live_server_url, "teacher"), login(live_server_url, "parent")
    for page in (teacher_page, parent_page):
        open_chat(page, live_server_url, conversation_4b)
    teacher_page.set_input_files("#id_file", files=[FilePayload(
        name="IMG_2041.jpg", mimeType="image/jpeg", buffer=photo_with_location())])
    teacher_page.get_by_label("No pupil can be identified").check()
    expect(teacher_page.locator("#attached li")).to_contain_text("IMG_2041.jpg")
    send(teacher_page, "Our class garden")
    photo = parent_page.locator(".message .attachments img")
    expect(photo).to_have_count(1)
    attachment = Attachment.objects.get()
    response = parent_page.request.get(f"{live_server_url}/a/{attachment.token}")
    assert response.status == 200
    assert response.headers["cache-control"] == "private, no-store"
    with Image.open(io.BytesIO(response.body())) as image:
        assert not image.getexif().get_ifd(GPS_IFD)
        assert not image.getexif()


def test_a_large_group_asks_to_confirm_how_many_will_receive_it(live_server_url: str, login: Login,  # noqa: F811
                                                                 conversation_4b: Conversation,
                                                                 parent: User, school: School,
                                                                 class_4b: SchoolClass,
                                                                 admin: User) -> None:
    for n in range(15):
        user = UserFactory(username=f"p{n}", role=Role.PARENT, school=school)
        enrol(PupilFactory(school=school), class_4b, user)
        membership.add_member(conversation_4b, user, actor=admin)
    page = login(live_server_url, "parent")
    open_chat(page, live_server_url, conversation_4b)
    send(page, "Found a blue jacket")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("This message will go to 16 people")
    assert not Message.objects.exists()
    page.get_by_role("button", name="Yes, send to everyone").click()
    expect(page.locator(".message.mine .body")).to_have_text("Found a blue jacket")
    expect(page.locator(".message.pending")).to_have_count(0)
    assert Message.objects.get().body == "Found a blue jacket"


def test_after_a_server_restart_the_page_resumes_and_sends_what_was_typed_offline(
        live_servers: list[Server], login: Login, conversation_4b: Conversation,  # noqa: F811
        teacher: User, parent: User, tmp_path: Path) -> None:
    server = live_servers[0]
    page = login(server.url, "parent")
    open_chat(page, server.url, conversation_4b)
    server.stop()
    expect(page.locator("#status")).to_have_text("Offline. Reconnecting…")
    # While the server is down: the teacher posts (stored by another process), and the parent
    # writes a message that stays pending.
    send_actions.post_message(teacher, conversation_4b, "Posted while you were offline")
    send(page, "Typed while offline")
    expect(page.locator(".message.pending")).to_have_count(1)
    server.start()
    expect(page.locator("#status")).to_have_text("Connected", timeout=20000)
    expect(page.locator(".message .body", has_text="Posted while you were offline")).to_have_count(1)
    expect(page.locator(".message.pending")).to_have_count(0)
    expect(page.locator(".message .body", has_text="Typed while offline")).to_have_count(1)
    assert Message.objects.filter(body="Typed while offline").count() == 1


def test_the_chat_works_from_the_keyboard(live_server_url: str, login: Login,  # noqa: F811
                                          conversation_4b: Conversation, teacher: User,
                                          parent: User) -> None:
    question, _ = send_actions.post_message(teacher, conversation_4b, "Who can help on Friday?")
    page = login(live_server_url, "parent")
    open_chat(page, live_server_url, conversation_4b)
    # Reply: open the message's actions from the keyboard, then its Reply link.
    page.locator(f"#m{question.pk} .actions > summary").focus()
    page.keyboard.press("Enter")
    reply = page.locator(f"#m{question.pk} .action-list a.reply")
    reply.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#replying")).to_be_visible()
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    page.keyboard.type("I can")
    page.keyboard.press("Enter")  # Enter sends, Shift+Enter would start a new line
    sent = page.locator(".message.mine").last
    expect(sent.locator(".quote")).to_contain_text("Who can help on Friday?")
    expect(page.locator(".message.pending")).to_have_count(0)
    assert conversation_4b.messages.get(body="I can").reply_to == question
    # Escape cancels a reply before sending.
    page.locator(f"#m{question.pk} .action-list a.reply").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    expect(page.locator("#replying")).to_be_hidden()
