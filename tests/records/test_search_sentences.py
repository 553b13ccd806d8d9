"""Archive search results read as sentences: who wrote, edited or retracted what, and where."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from messaging.actions import direct, edit, send
from messaging.models import Conversation

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_result_names_the_person_and_the_conversation(
        client: Client, dpo: User, teacher: User, parent: User,
        conversation_4b: Conversation) -> None:
    send.post_message(teacher, conversation_4b, "Trip to the zoo on Friday")
    chat = direct.direct_conversation(teacher, parent)
    send.post_message(parent, chat, "Is the zoo trip still on")
    client.force_login(dpo)
    page = _text(client.get(reverse("archive:search"), {"text": "zoo"}).content.decode())
    assert "Ms de Vries wrote in 4B class group: Trip to the zoo on Friday" in page
    assert f"Anna Jansen wrote in {chat.name}: Is the zoo trip still on" in page


def test_edits_and_retractions_say_so(client: Client, dpo: User, teacher: User,
                                      conversation_4b: Conversation) -> None:
    message, _ = send.post_message(teacher, conversation_4b, "Swimming on Tuesday")
    edit.edit_message(teacher, message, "Swimming on Wednesday")
    edit.retract_message(teacher, message)
    client.force_login(dpo)
    page = _text(client.get(reverse("archive:search"), {"text": "swimming"}).content.decode())
    assert "Ms de Vries edited their message in 4B class group to read: Swimming on Wednesday" in page
    assert "Ms de Vries retracted their message in 4B class group, which read:" in page


@pytest.mark.parametrize(("language", "expected"), [
    ("nl", "Ms de Vries schreef in "), ("ru", "Ms de Vries пишет в ")])
def test_sentences_are_in_the_readers_language(
        client: Client, dpo: User, teacher: User, conversation_4b: Conversation,
        language: str, expected: str) -> None:
    send.post_message(teacher, conversation_4b, "Trip to the zoo on Friday")
    dpo.language = language
    dpo.save()
    client.force_login(dpo)
    page = _text(client.get(reverse("archive:search"), {"text": "zoo"}).content.decode())
    assert expected in page
    assert "message.posted" not in page
