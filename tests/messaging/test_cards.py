"""Live cards on messages (messaging/cards.py): each reader gets the card as they may see it, on
the page and from the card's address; outsiders get 404; a change reaches the open pages as a
hint with no content; a card's form is answered where the person is looking."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from channels.db import database_sync_to_async
from django.db import transaction
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import User
from archive.models import Payload, Record
from messaging import cards
from messaging.actions import send as send_actions
from messaging.events import message_event
from messaging.models import Conversation, Message
from tests.messaging.test_consumer import connect, receive_until, subscribe


def _tally(message: Message, request: HttpRequest) -> str:
    # What a card app renders: something for this reader only, escaped.
    return format_html('<p class="tally">Tally {} for <b>{}</b></p>', cards.card_id(message),
                       request.user.public_name)  # type: ignore[union-attr]


@pytest.fixture
def tally() -> Iterator[None]:
    cards.register_card(cards.CardKind("tally", _tally))
    yield
    cards._kinds.pop("tally", None)


@pytest.fixture
def carded(tally: None, teacher: User, conversation_4b: Conversation) -> Message:
    message, _ = send_actions.post_message(teacher, conversation_4b, "A poll: which day?",
                                           card=cards.ref("tally", 7))
    return message


@pytest.mark.django_db
def test_each_reader_sees_the_card_on_the_message_rendered_for_them(
        client: Client, carded: Message, parent: User, conversation_4b: Conversation) -> None:
    client.force_login(parent)
    page = client.get(reverse("messaging:conversation", args=[conversation_4b.pk])).content.decode()
    assert "Tally 7 for <b>Anna Jansen</b>" in page
    url = reverse("messaging:card", args=[conversation_4b.pk, carded.pk])
    assert f'data-card-url="{url}"' in page
    fragment = client.get(url)
    assert fragment.status_code == 200
    assert "Tally 7 for <b>Anna Jansen</b>" in fragment.content.decode()
    assert 'class="message-card"' in fragment.content.decode()


@pytest.mark.django_db
def test_outsiders_and_messages_without_a_card_get_404(
        client: Client, carded: Message, parent_5a: User, parent: User, teacher: User,
        conversation_4b: Conversation) -> None:
    client.force_login(parent_5a)
    assert client.get(reverse("messaging:card", args=[conversation_4b.pk, carded.pk])).status_code == 404
    plain, _ = send_actions.post_message(teacher, conversation_4b, "No card here")
    client.force_login(parent)
    assert client.get(reverse("messaging:card", args=[conversation_4b.pk, plain.pk])).status_code == 404
    # The right message under another conversation's address is not found either.
    elsewhere = reverse("messaging:card", args=[conversation_4b.pk + 1000, carded.pk])
    assert client.get(elsewhere).status_code == 404


@pytest.mark.django_db
def test_a_card_of_an_unknown_kind_shows_the_text_alone(
        client: Client, teacher: User, parent: User, conversation_4b: Conversation) -> None:
    message, _ = send_actions.post_message(teacher, conversation_4b, "Old card",
                                           card="gone:3")
    client.force_login(parent)
    page = client.get(reverse("messaging:conversation", args=[conversation_4b.pk])).content.decode()
    assert "Old card" in page
    fragment = client.get(reverse("messaging:card", args=[conversation_4b.pk, message.pk]))
    assert fragment.status_code == 200 and "Tally" not in fragment.content.decode()


@pytest.mark.django_db
def test_the_message_event_and_the_archive_name_the_card(carded: Message) -> None:
    assert message_event(carded)["card"] == "tally:7"
    record = Record.objects.filter(kind="message.posted").latest("pk")
    assert Payload.objects.get(record=record).content["card"] == "tally:7"


@pytest.mark.django_db(transaction=True)
async def test_a_change_tells_the_open_pages_with_no_content(
        carded: Message, parent: User, parent_5a: User, conversation_4b: Conversation) -> None:
    socket = await connect(parent)
    await subscribe(socket, conversation_4b)
    await receive_until(socket, "subscribed")
    outsider = await connect(parent_5a)

    def change() -> None:
        with transaction.atomic():
            cards.changed(carded)

    await database_sync_to_async(change)()
    hint = (await receive_until(socket, "card"))[-1]
    assert hint == {"type": "card", "conversation": conversation_4b.pk, "id": carded.pk}
    assert await outsider.receive_nothing(timeout=0.3)
    await socket.disconnect()
    await outsider.disconnect()


def _post(data: dict[str, str], *, fetch: bool) -> HttpRequest:
    headers = {"X-Requested-With": "fetch"} if fetch else {}
    request = RequestFactory().post("/polls/1/vote", data, headers=headers)
    request.session = {}  # type: ignore[assignment]
    request._messages = type("M", (), {"add": lambda *a, **k: None})()  # type: ignore[attr-defined]
    return request


def test_a_cards_form_is_answered_on_the_card_or_back_in_the_conversation() -> None:
    done = cards.answer(_post({}, fetch=True), back="/c/1/")
    assert done.status_code == 204
    refused = cards.answer(_post({}, fetch=True), back="/c/1/", error="The poll has closed.")
    assert refused.status_code == 400 and refused.content.decode() == "The poll has closed."
    assert refused["Content-Type"].startswith("text/plain")
    back = cards.answer(_post({"next": "/c/1/#m5"}, fetch=False), back="/c/1/")
    assert back.status_code == 302 and back["Location"] == "/c/1/#m5"
    # Never somewhere else: a next on another site goes back to the conversation.
    away = cards.answer(_post({"next": "https://evil.example/"}, fetch=False), back="/c/1/")
    assert away["Location"] == "/c/1/"
