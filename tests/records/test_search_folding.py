"""The DPO's archive search ignores case and accents in every script, as the chat search does
(archive.folding), within the DPO's school and the other criteria."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from archive import chain
from messaging.actions import send
from messaging.models import Conversation
from records import search
from tests.factories import SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db

FOLDED = [
    ("Дмитрий заберёт Эмму в три", "дмитрий"),
    ("Полотенце для бассейна не забудьте", "полотенце"),
    ("Zoë brings the cake on Friday", "zoe"),
    ("zoe brings the cake on Friday", "ZOË"),
    ("Ёлка в пятницу в актовом зале", "елка"),
]


def _found(user: User, **criteria: str | int) -> list[str]:
    client = Client()
    client.force_login(user)
    answer = client.get(reverse("archive:search"), criteria)
    assert answer.status_code == 200
    return [r.payload.content["body"] for r in answer.context["results"]]


@pytest.mark.parametrize(("written", "typed"), FOLDED)
def test_the_archive_search_ignores_case_and_accents(
        dpo: User, teacher: User, conversation_4b: Conversation, written: str,
        typed: str) -> None:
    send.post_message(teacher, conversation_4b, written)
    send.post_message(teacher, conversation_4b, "Something else entirely")
    assert _found(dpo, text=typed) == [written]


def test_folded_words_combine_with_person_and_dates(
        dpo: User, teacher: User, parent: User, conversation_4b: Conversation) -> None:
    send.post_message(teacher, conversation_4b, "Дмитрий принесёт ПОЛОТЕНЦЕ")
    send.post_message(parent, conversation_4b, "Дмитрий забыл полотенце")
    assert _found(dpo, text="полотенце дмитрий", person=parent.pk) == [
        "Дмитрий забыл полотенце"]
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert _found(dpo, text="дмитрий", date_from=tomorrow) == []
    assert len(_found(dpo, text="ДМИТРИЙ", date_to=timezone.localdate().isoformat())) == 2


def test_another_schools_dpo_finds_nothing_however_it_is_spelt(
        teacher: User, conversation_4b: Conversation) -> None:
    other = UserFactory(username="otherdpo", role=Role.DPO, school=SchoolFactory(slug="other"))
    send.post_message(teacher, conversation_4b, "Zoë and Дмитрий")
    for typed in ("zoe", "дмитрий", "Zoë"):
        assert _found(other, text=typed) == []


def test_the_archive_keeps_what_was_written_and_still_verifies(
        dpo: User, teacher: User, conversation_4b: Conversation) -> None:
    send.post_message(teacher, conversation_4b, "ZOË brings Полотенце")
    assert _found(dpo, text="zoe полотенце") == ["ZOË brings Полотенце"]
    assert chain.verify().intact


@pytest.mark.parametrize("candidates", [1, 5000])
def test_many_matches_or_few_the_results_are_the_same(
        dpo: User, teacher: User, parent: User, conversation_4b: Conversation,
        monkeypatch: pytest.MonkeyPatch, candidates: int) -> None:
    # Few matches are looked up by id; past records.search.CANDIDATES the database filters.
    monkeypatch.setattr(search, "CANDIDATES", candidates)
    send.post_message(teacher, conversation_4b, "Zoë brings a towel")
    send.post_message(parent, conversation_4b, "zoe forgot her towel")
    send.post_message(parent, conversation_4b, "Zoë is ill today")
    send.post_message(parent, conversation_4b, "Nothing to see")
    assert _found(dpo, text="ZOE towel") == ["zoe forgot her towel", "Zoë brings a towel"]
    assert _found(dpo, text="zoe", person=parent.pk) == ["Zoë is ill today",
                                                          "zoe forgot her towel"]
    assert _found(dpo, person=teacher.pk) == ["Zoë brings a towel"]
    assert _found(dpo, text="zebra", person=parent.pk) == []
