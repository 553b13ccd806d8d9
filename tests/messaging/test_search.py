"""The chat search as a parent uses it (the search page): case and accents ignored in every
script, only what the person may read, and never a retracted, removed or replaced text by its
old words (archive.folding, docs/archive.md "Search")."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from messaging.actions import edit, moderation, send
from messaging.models import Conversation
from tests.messaging.moderation import lead, unscreened

pytestmark = pytest.mark.django_db
__all__ = ["lead", "unscreened"]  # fixtures

# (what was written, what the parent types): each pair must find the message.
FOLDED = [
    ("Дмитрий заберёт Эмму в три", "дмитрий"),
    ("Полотенце для бассейна не забудьте", "полотенце"),
    ("Zoë brings the cake on Friday", "zoe"),
    ("zoe brings the cake on Friday", "ZOË"),
    ("Ёлка в пятницу в актовом зале", "елка"),
    ("The CAFÉ opens at nine", "Cafe"),
]


def _search(user: User, query: str) -> str:
    client = Client()
    client.force_login(user)
    answer = client.get(reverse("messaging:search"), {"q": query})
    assert answer.status_code == 200
    return answer.content.decode()


@pytest.mark.parametrize(("written", "typed"), FOLDED)
def test_a_search_ignores_case_and_accents_in_every_script(
        conversation_4b: Conversation, teacher: User, parent: User, written: str,
        typed: str) -> None:
    send.post_message(teacher, conversation_4b, written)
    send.post_message(teacher, conversation_4b, "Something else entirely")
    page = _search(parent, typed)
    assert written in page and "Something else entirely" not in page


@pytest.mark.parametrize(("written", "typed"), FOLDED[:3])
def test_a_folded_match_is_still_only_what_the_person_may_read(
        conversation_4b: Conversation, teacher: User, parent_5a: User, written: str,
        typed: str) -> None:
    send.post_message(teacher, conversation_4b, written)
    assert written not in _search(parent_5a, typed)


def test_short_i_is_a_letter_of_its_own(conversation_4b: Conversation, teacher: User,
                                        parent: User) -> None:
    send.post_message(teacher, conversation_4b, "Мои книги остались в классе")
    assert "Мои книги" not in _search(parent, "мой")
    assert "Мои книги" in _search(parent, "МОИ")


def test_a_retracted_message_is_not_found_by_its_old_words(
        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    message, _ = send.post_message(parent, conversation_4b, "Zoë's phone number is 0612")
    edit.retract_message(parent, message)
    for query in ("zoe", "phone", "0612"):
        assert "phone number" not in _search(parent, query), query
        assert "phone number" not in _search(teacher, query), query


def test_an_edited_message_is_found_by_its_new_words_only(
        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    message, _ = send.post_message(teacher, conversation_4b, "Полотенце на среду")
    edit.edit_message(teacher, message, "Купальник на четверг")
    assert "Купальник на четверг" in _search(parent, "КУПАЛЬНИК")
    assert "Купальник" not in _search(parent, "полотенце")


def test_a_message_the_school_removed_is_not_found_by_its_old_words(
        conversation_4b: Conversation, teacher: User, parent: User, lead: User,
        unscreened: None) -> None:
    message, _ = send.post_message(parent, conversation_4b, "Rumours about Chloé's family")
    moderation.remove_message(by=lead, message=message, reason="Gossip about a family")
    for who in (parent, teacher):
        page = _search(who, "chloe")
        assert "Rumours" not in page and "Removed by the school" not in page
