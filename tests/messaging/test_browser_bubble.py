"""The chat on a phone (390 x 844), as a Russian-speaking parent and a Dutch teacher meet it,
in English, Dutch and Russian: a message that asks to be acknowledged says so and is
acknowledged on the message itself, with staff's "1 of 2 families" kept up to date; Reply is in
sight; more messages fit the screen; days are marked; the page's notes sit by the composer; the
inbox stays as wide as the phone and marks muted conversations. Nothing is wider than the
screen on any page opened. Uses the live daphne server and Chromium of tests/browser/conftest.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import dateformat, timezone, translation
from playwright.sync_api import Page, ViewportSize, expect

from accounts.models import Role, School, SchoolClass, User
from messaging.actions import membership
from messaging.actions import send as send_actions
from messaging.models import Conversation, Message
from notifications import actions as notification_actions
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    login,
)
from tests.factories import PupilFactory, UserFactory, enrol

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 844}
LANGUAGES = ["en", "nl", "ru"]

WORDS = {
    "en": {"please": "Please acknowledge", "ack": "Acknowledge", "acked": "You acknowledged this",
           "none": "0 of 2 families", "one": "1 of 2 families", "reply": "Replying to",
           "today": "Today", "yesterday": "Yesterday", "muted": "Muted",
           "family_count": "1 of 2 families acknowledged"},
    "nl": {"please": "Graag bevestigen", "ack": "Bevestigen", "acked": "U hebt dit bevestigd",
           "none": "0 van 2 gezinnen", "one": "1 van 2 gezinnen", "reply": "Antwoord aan",
           "today": "Vandaag", "yesterday": "Gisteren", "muted": "Gedempt",
           "family_count": "1 van 2 gezinnen hebben bevestigd"},
    "ru": {"please": "Просим подтвердить", "ack": "Подтвердить", "acked": "Вы подтвердили",
           "none": "0 из 2 семей", "one": "1 из 2 семей", "reply": "Ответ",
           "today": "Сегодня", "yesterday": "Вчера", "muted": "Без звука",
           "family_count": "1 из 2 семей"},
}


def speaks(user: User, language: str) -> User:
    user.language = language
    user.save(update_fields=["language"])
    return user


def fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a 390 px screen"


def open_chat(page: Page, base_url: str, conversation: Conversation) -> None:
    page.goto(f"{base_url}/c/{conversation.pk}/")
    expect(page.locator("#chat[data-subscribed='1']")).to_have_count(1)
    fits_the_phone(page)


def second_family(school: School, class_4b: SchoolClass, conversation: Conversation,
                  admin: User) -> User:
    sara = UserFactory(username="sara", display_name="Sara Smit", role=Role.PARENT, school=school)
    enrol(PupilFactory(school=school, first_name="Liam", last_name="Smit"), class_4b, sara)
    membership.add_member(conversation, sara, actor=admin)
    return sara


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_parent_acknowledges_on_the_message_and_the_teachers_count_follows(
        language: str, live_server_url: str, login: Login, school: School,  # noqa: F811
        class_4b: SchoolClass, conversation_4b: Conversation, teacher: User, parent: User,
        admin: User) -> None:
    words = WORDS[language]
    speaks(parent, language)
    speaks(teacher, language)
    second_family(school, class_4b, conversation_4b, admin)
    notice, _ = send_actions.post_message(teacher, conversation_4b, "Sign the trip form",
                                          ack_requested=True)
    teacher_page = login(live_server_url, "teacher", viewport=PHONE)
    open_chat(teacher_page, live_server_url, conversation_4b)
    count = teacher_page.locator(f"#m{notice.pk} .ack-request a.ack-families")
    # The sender sees the request and how many families answered, without opening a menu.
    expect(teacher_page.locator(f"#m{notice.pk} .ack-request")).to_contain_text(words["please"])
    expect(count).to_have_text(words["none"])
    expect(count).to_be_visible()

    parent_page = login(live_server_url, "parent", viewport=PHONE)
    open_chat(parent_page, live_server_url, conversation_4b)
    message = parent_page.locator(f"#m{notice.pk}")
    expect(message.locator(".ack-request")).to_contain_text(words["please"])
    button = message.get_by_role("button", name=words["ack"], exact=True)
    expect(button).to_be_visible()  # on the message, not inside its closed menu
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44
    button.click()
    expect(message.locator(".acked-note")).to_have_text(words["acked"])
    expect(message.locator(".ack-label")).to_be_hidden()
    # Over the socket, stored once; the teacher's bubble counts the family live.
    expect(count).to_have_text(words["one"], timeout=10000)
    assert notice.acknowledgements.filter(user=parent).count() == 1

    parent_page.reload()
    expect(parent_page.locator(f"#m{notice.pk} .acked-note")).to_have_text(words["acked"])
    expect(parent_page.locator(f"#m{notice.pk} button.ack")).to_have_count(0)
    fits_the_phone(parent_page)

    # The count is the link to who has acknowledged, family by family.
    count.click()
    expect(teacher_page.locator("#family-count")).to_contain_text(words["family_count"])
    fits_the_phone(teacher_page)


def test_a_parent_without_javascript_acknowledges_on_the_message(
        live_server_url: str, login: Login, conversation_4b: Conversation,  # noqa: F811
        teacher: User, parent: User) -> None:
    notice, _ = send_actions.post_message(teacher, conversation_4b, "Sign the trip form",
                                          ack_requested=True)
    page = login(live_server_url, "parent", viewport=PHONE)
    page.context.route("**/*.js", lambda route: route.abort())
    page.goto(f"{live_server_url}/c/{conversation_4b.pk}/")
    page.locator(f"#m{notice.pk}").get_by_role("button", name="Acknowledge").click()
    expect(page.locator(f"#m{notice.pk} .acked-note")).to_have_text("You acknowledged this")
    assert notice.acknowledgements.filter(user=parent).count() == 1
    fits_the_phone(page)


def messages_in_view(page: Page) -> int:
    """How many messages are wholly on the screen, between its top and the composer."""
    return int(page.evaluate("""() => {
        const bar = document.getElementById("composer").getBoundingClientRect().top;
        return Array.from(document.querySelectorAll("#messages > li.message")).filter((li) => {
            const r = li.getBoundingClientRect();
            return r.top >= 0 && r.bottom <= bar;
        }).length;
    }"""))


# Messages fully on a 390 x 844 screen, measured with the same messages before the bubble was
# made compact: 4 (6 since, in each language).
BEFORE = 4


@pytest.mark.parametrize("language", LANGUAGES)
def test_reply_is_in_sight_and_more_messages_fit_a_phone(
        language: str, live_server_url: str, login: Login,  # noqa: F811
        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    words = WORDS[language]
    speaks(parent, language)
    for n in range(12):
        sender = teacher if n % 3 else parent
        send_actions.post_message(sender, conversation_4b,
                                  f"Message {n}: the bus leaves at half past eight from school")
    question = Message.objects.filter(sender=teacher).order_by("-seq").first()
    assert question is not None
    page = login(live_server_url, "parent", viewport=PHONE)
    open_chat(page, live_server_url, conversation_4b)
    fitting = messages_in_view(page)
    print(f"messages on a 390x844 screen ({language}): {fitting}")
    assert fitting > BEFORE, fitting

    reply = page.locator(f"#m{question.pk} a.reply.quick")
    expect(reply).to_be_visible()
    box = reply.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44
    reply.click()
    expect(page.locator("#replying")).to_be_visible()
    expect(page.locator("#replying-text")).to_contain_text(words["reply"])
    expect(page.get_by_role("textbox")).to_be_focused()
    fits_the_phone(page)


def backdate(message: Message, days: int) -> None:
    """Test data: a message written ``days`` ago (the send action stamps now)."""
    Message.objects.filter(pk=message.pk).update(
        created_at=message.created_at - timedelta(days=days))


@pytest.mark.parametrize("language", LANGUAGES)
def test_days_are_marked_on_the_page_and_for_live_messages(
        language: str, live_server_url: str, login: Login,  # noqa: F811
        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    words = WORDS[language]
    speaks(parent, language)
    old, _ = send_actions.post_message(teacher, conversation_4b, "Trip next week")
    backdate(old, 4)
    earlier, _ = send_actions.post_message(teacher, conversation_4b, "Bring a coat")
    backdate(earlier, 1)
    with translation.override(language):
        long_ago = dateformat.format(timezone.localtime(old.created_at - timedelta(days=4)),
                                     "D j M")
    page = login(live_server_url, "parent", viewport=PHONE)
    open_chat(page, live_server_url, conversation_4b)
    days = page.locator("#messages > li.day")
    expect(days).to_have_text([long_ago, words["yesterday"]])
    # A message of today, live: the page marks its day as a reload does.
    send_actions.post_message(teacher, conversation_4b, "See you at nine")
    expect(page.locator(".message .body", has_text="See you at nine")).to_have_count(1)
    expect(days).to_have_text([long_ago, words["yesterday"], words["today"]])
    # And the parent's own send, pending and then stored, stays under today's one.
    page.get_by_role("textbox").fill("Thank you")
    page.keyboard.press("Enter")
    expect(page.locator(".message.mine .body", has_text="Thank you")).to_have_count(1)
    expect(page.locator(".message.pending")).to_have_count(0)
    expect(days).to_have_text([long_ago, words["yesterday"], words["today"]])
    live = page.locator("#messages > li").evaluate_all(
        "(items) => items.map((li) => li.className.split(' ')[0] + ':' + li.textContent.trim().slice(0, 20))")
    page.reload()
    expect(page.locator("#chat[data-subscribed='1']")).to_have_count(1)
    assert page.locator("#messages > li").evaluate_all(
        "(items) => items.map((li) => li.className.split(' ')[0] + ':' + li.textContent.trim().slice(0, 20))"
    ) == live
    fits_the_phone(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_scheduled_messages_and_confirmations_sit_by_the_composer(
        language: str, live_server_url: str, login: Login,  # noqa: F811
        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    speaks(teacher, language)
    for n in range(8):
        send_actions.post_message(parent, conversation_4b, f"Question {n} about the trip")
    page = login(live_server_url, "teacher", viewport=PHONE)
    open_chat(page, live_server_url, conversation_4b)
    page.get_by_role("textbox").first.fill("Reminder: trip tomorrow")
    page.locator("#composer-more > summary").click()
    later = timezone.localtime(timezone.now() + timedelta(days=1))
    page.locator("#id_send_at").fill(later.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#composer button.primary[type=submit]:not(#confirm-yes)").click()
    expect(page.locator(".chat-notes .scheduled li")).to_have_count(1)
    # The chat opens at the bottom: the confirmation and the list are in sight, between the
    # newest message and the composer.
    for part in (".chat-notes .flash", ".chat-notes .scheduled"):
        expect(page.locator(part)).to_be_in_viewport()
        # The three read at one moment: the chat may still scroll to its newest message.
        last, box, composer = page.evaluate(
            """part => [[...document.querySelectorAll('#messages > li.message')].pop(),
                        document.querySelector(part), document.querySelector('#composer')]
                       .map(e => { const r = e.getBoundingClientRect();
                                   return {top: r.top, bottom: r.bottom}; })""", part)
        assert last["bottom"] <= box["top"] <= composer["top"], (part, last, box, composer)
    fits_the_phone(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_inbox_fits_a_phone_and_marks_muted_conversations(
        language: str, live_server_url: str, login: Login,  # noqa: F811
        conversation_4b: Conversation, announcements: Conversation, teacher: User,
        parent: User) -> None:
    words = WORDS[language]
    speaks(parent, language)
    send_actions.post_message(teacher, announcements, "Term starts Monday")
    send_actions.post_message(
        teacher, conversation_4b,
        "Forms: https://forms.example.org/school/2026/trips/autumn/permission-slip-class-4b"
        "-please-sign-before-friday-and-bring-it-back-to-school?lang=en&ref=classgroup")
    notification_actions.mute(parent, announcements)
    page = login(live_server_url, "parent", viewport=PHONE)
    page.goto(f"{live_server_url}/")
    fits_the_phone(page)
    row = page.locator(f"#conversation-list > li[data-conversation='{conversation_4b.pk}']")
    for part in ("time", ".unread"):
        box = row.locator(part).bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"], (part, box)
    expect(row.locator(".unread")).to_be_visible()
    muted = page.locator(f"#conversation-list > li[data-conversation='{announcements.pk}']")
    expect(muted.locator(".muted-note")).to_have_text(words["muted"])
    expect(muted.locator(".muted-note")).to_be_visible()
    expect(row.locator(".muted-note")).to_have_count(0)
    # The row's accessible name says so too, for a screen reader.
    expect(muted.get_by_role("link")).to_contain_text(words["muted"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_announcements_reader_sees_reply_privately_on_the_message(
        language: str, live_server_url: str, login: Login,  # noqa: F811
        announcements: Conversation, teacher: User, parent: User) -> None:
    speaks(parent, language)
    notice, _ = send_actions.post_message(teacher, announcements, "School closes at noon")
    page = login(live_server_url, "parent", viewport=PHONE)
    open_chat(page, live_server_url, announcements)
    reply = page.locator(f"#m{notice.pk} a.reply-private.quick")
    expect(reply).to_be_visible()  # not only inside the closed "Actions" menu
    box = reply.bounding_box()
    assert box is not None and box["height"] >= 44
    reply.click()
    page.wait_for_url(f"**/c/{announcements.pk}/m/{notice.pk}/reply")
    expect(page.get_by_role("textbox").first).to_be_visible()
    fits_the_phone(page)
