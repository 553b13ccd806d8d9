"""Message features members notice: links, replies, unread counts, "seen by", search, paging."""

import re

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from accounts.models import Role, School, SchoolClass, User
from messaging.actions import edit, membership, send
from messaging.models import Conversation, Receipt
from messaging.text import render_body
from tests.factories import UserFactory
from tests.messaging.reading import read
from tests.messaging.test_consumer import connect, receive_until, subscribe

pytestmark = pytest.mark.django_db


def page(client: Client, conversation: Conversation) -> str:
    return client.get(reverse("messaging:conversation", args=[conversation.pk])).content.decode()


# --- links ------------------------------------------------------------------------------------
def test_web_links_become_safe_links_and_nothing_else_becomes_markup() -> None:
    html = render_body('Form: https://school.example/form?a=1&b=2. <img src=x onerror=alert(1)> '
                       'javascript:alert(1) "https://evil.example/"onclick="x"')
    assert ('<a href="https://school.example/form?a=1&amp;b=2" '
            'rel="noopener noreferrer nofollow" target="_blank">') in html
    assert "</a>. &lt;img" in html  # the full stop is not part of the link
    assert "<img" not in html and 'href="javascript' not in html
    assert 'onclick="x"' not in html and "&quot;onclick=&quot;x&quot;" in html


def test_links_are_clickable_on_the_page(client: Client, conversation_4b: Conversation, teacher: User,
                                         parent: User) -> None:
    send.post_message(teacher, conversation_4b, "Sign up at http://trip.example/sign")
    client.force_login(parent)
    assert ('<a href="http://trip.example/sign" rel="noopener noreferrer nofollow"'
            in page(client, conversation_4b))


# --- reply-to ---------------------------------------------------------------------------------
def test_a_reply_quotes_the_message_it_answers(client: Client, conversation_4b: Conversation, teacher: User,
                                               parent: User) -> None:
    question, _ = send.post_message(parent, conversation_4b, "Is there swimming on Tuesday?")
    client.force_login(teacher)
    url = reverse("messaging:conversation", args=[conversation_4b.pk])
    assert client.post(url, {"body": "Yes", "reply_to": question.pk}).status_code == 302
    reply = conversation_4b.messages.get(body="Yes")
    assert reply.reply_to == question
    after_reply = page(client, conversation_4b).split(f'id="m{reply.pk}"')[1]
    assert "Is there swimming on Tuesday?" in after_reply


def test_a_reply_cannot_point_into_another_conversation(conversation_4b: Conversation,
                                                        conversation_5a: Conversation, parent: User,
                                                        parent_5a: User, client: Client) -> None:
    elsewhere, _ = send.post_message(parent_5a, conversation_5a, "5A only")
    with pytest.raises(ValidationError):
        send.post_message(parent, conversation_4b, "peek", reply_to=elsewhere)
    client.force_login(parent)
    url = reverse("messaging:conversation", args=[conversation_4b.pk])
    assert client.post(url, {"body": "peek", "reply_to": elsewhere.pk}).status_code == 404
    assert not conversation_4b.messages.exists()


# --- unread counts ----------------------------------------------------------------------------
def test_the_inbox_counts_unread_messages_until_i_open_the_conversation(client: Client,
                                                                        conversation_4b: Conversation,
                                                                        teacher: User, parent: User) -> None:
    for n in range(3):
        send.post_message(teacher, conversation_4b, f"news {n}")
    send.post_message(parent, conversation_4b, "my own message never counts")
    retracted, _ = send.post_message(teacher, conversation_4b, "oops")
    edit.retract_message(teacher, retracted)
    client.force_login(parent)
    inbox = client.get(reverse("messaging:inbox")).content.decode()
    assert "3 unread" in inbox
    read(client, conversation_4b)
    after = client.get(reverse("messaging:inbox")).content.decode()
    assert re.search(r'<span class="unread" data-count="0" hidden>', after)
    assert "3 unread" not in after


# --- seen by N of M ---------------------------------------------------------------------------
def test_the_sender_sees_who_has_seen_their_message(client: Client, conversation_4b: Conversation,
                                                    teacher: User, parent: User, school: School,
                                                    class_4b: SchoolClass, admin: User) -> None:
    other = UserFactory(username="p2", display_name="Bram Visser", role=Role.PARENT, school=school)
    membership.add_member(conversation_4b, other, actor=admin)
    message, _ = send.post_message(teacher, conversation_4b, "Trip money due Friday")
    client.force_login(parent)
    read(client, conversation_4b)  # the parent reads it
    assert Receipt.objects.filter(message=message, user=parent).exists()
    client.force_login(teacher)
    assert "Seen by 1 of 2" in page(client, conversation_4b)
    listing = client.get(reverse("messaging:receipts", args=[conversation_4b.pk, message.pk]))
    html = listing.content.decode()
    seen, not_seen = html.split("Not seen yet")
    assert "Anna Jansen" in seen and "Bram Visser" in not_seen
    assert parent.email not in html and parent.phone not in html


def test_other_parents_do_not_get_the_seen_list(client: Client, conversation_4b: Conversation, teacher: User,
                                                parent: User, parent_5a: User) -> None:
    message, _ = send.post_message(teacher, conversation_4b, "hello")
    url = reverse("messaging:receipts", args=[conversation_4b.pk, message.pk])
    client.force_login(parent)
    assert client.get(url).status_code == 403
    assert url not in page(client, conversation_4b)
    client.force_login(parent_5a)
    assert client.get(url).status_code == 404


@pytest.mark.django_db(transaction=True)
async def test_seen_over_the_socket_updates_the_senders_count_live(conversation_4b: Conversation,
                                                                   teacher: User, parent: User) -> None:
    message, _ = await database_sync_to_async(send.post_message)(teacher, conversation_4b,
                                                                    "hi")
    teacher_socket, parent_socket = await connect(teacher), await connect(parent)
    for s in (teacher_socket, parent_socket):
        await subscribe(s, conversation_4b)
        await receive_until(s, "subscribed")
    await parent_socket.send_json_to({"type": "seen", "conversation": conversation_4b.pk,
                                      "seq": message.seq})
    receipt = (await receive_until(teacher_socket, "receipt"))[-1]
    assert receipt == {"type": "receipt", "conversation": conversation_4b.pk,
                       "seen": {str(message.pk): 1}}
    assert await parent_socket.receive_nothing(timeout=0.3)  # for the sender only
    await teacher_socket.disconnect()
    await parent_socket.disconnect()


# --- search -----------------------------------------------------------------------------------
def test_search_finds_only_what_i_can_read(client: Client, conversation_4b: Conversation,
                                           conversation_5a: Conversation, teacher: User, parent: User,
                                           parent_5a: User) -> None:
    send.post_message(teacher, conversation_4b, "The museum trip is on Friday")
    send.post_message(parent_5a, conversation_5a, "Museum tickets for 5A")
    gone, _ = send.post_message(parent, conversation_4b, "museum gossip")
    edit.retract_message(parent, gone)
    client.force_login(parent)
    html = client.get(reverse("messaging:search"), {"q": "museum"}).content.decode()
    assert "The museum trip is on Friday" in html
    assert "Museum tickets for 5A" not in html and "gossip" not in html
    client.force_login(parent_5a)
    html = client.get(reverse("messaging:search"), {"q": "museum"}).content.decode()
    assert "Museum tickets for 5A" in html and "trip is on Friday" not in html


def test_every_word_of_a_search_must_match(client: Client, conversation_4b: Conversation, teacher: User,
                                           parent: User) -> None:
    send.post_message(teacher, conversation_4b, "The museum opens at nine")
    send.post_message(teacher, conversation_4b, "Bring a packed lunch on Friday")
    send.post_message(teacher, conversation_4b, "Friday: the museum trip, bring lunch")
    client.force_login(parent)
    for query in ("museum lunch", "lunch museum", "MUSEUM  Lunch"):
        html = client.get(reverse("messaging:search"), {"q": query}).content.decode()
        assert "the museum trip, bring lunch" in html, query
        assert "opens at nine" not in html and "packed lunch" not in html, query
    assert client.get(reverse("messaging:search"), {"q": "museum zebra"}).context["results"] == []


def test_search_escapes_what_it_shows(client: Client, conversation_4b: Conversation, teacher: User,
                                      parent: User) -> None:
    send.post_message(teacher, conversation_4b, "museum <script>x</script>")
    client.force_login(parent)
    html = client.get(reverse("messaging:search"), {"q": "museum"}).content.decode()
    assert "<script>x" not in html and "&lt;script&gt;" in html


# --- paging -----------------------------------------------------------------------------------
def test_the_page_offers_older_history_only_when_there_is_some(client: Client, conversation_4b: Conversation,
                                                               teacher: User, parent: User,
                                                               settings: Settings) -> None:
    settings.SCHOOLCHAT_HISTORY_PAGE = 3
    words = ["zero", "one", "two", "three", "four"]
    for word in words:
        send.post_message(teacher, conversation_4b, f"note {word}")
    client.force_login(parent)
    html = page(client, conversation_4b)
    assert 'id="older"' in html and "note one" not in html and "note four" in html
    older = client.get(reverse("messaging:messages", args=[conversation_4b.pk]),
                       {"before_seq": 3}).json()
    assert [m["body"] for m in older["messages"]] == ["note zero", "note one"]
