"""A mention is archived as such: the record names the person, the DPO's search for them finds
it, the audit line says whom it mentioned, and their subject access export marks it.

Personas: Ms de Vries (teacher) mentions Anna Jansen (parent) in the 4B class group, where
Bram Bakker (another parent) reads along without being named.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.utils import translation

from accounts.models import Role, School, User
from archive.chain import verify
from archive.models import Record
from messaging.actions import membership, send
from messaging.models import Conversation, Message
from records import export, lines
from records.search import search
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bram(school: School, conversation_4b: Conversation, admin: User) -> User:
    user = UserFactory(username="bram", display_name="Bram Bakker", role=Role.PARENT,
                       school=school)
    membership.add_member(conversation_4b, user, actor=admin)
    return user


@pytest.fixture
def mention(conversation_4b: Conversation, teacher: User, parent: User, bram: User) -> Message:
    message, _ = send.post_message(teacher, conversation_4b,
                                   "@Anna Jansen could you collect the trip money?",
                                   mentions=[parent.pk])
    send.post_message(teacher, conversation_4b, "Thank you all")
    return message


def test_the_record_names_the_mentioned_and_the_chain_holds(mention: Message, parent: User,
                                                            teacher: User) -> None:
    record = Record.objects.get(kind="message.posted", message_id=mention.pk)
    assert record.payload.content["mentions"] == [parent.pk]
    assert sorted(record.subject_user_ids) == sorted([teacher.pk, parent.pk])
    assert verify().intact


def test_the_dpos_search_for_a_person_finds_what_mentions_them(
        mention: Message, school: School, parent: User, bram: User) -> None:
    assert mention.pk in [r.message_id for r in search(school, person=parent)]
    assert mention.pk not in [r.message_id for r in search(school, person=bram)]


def test_the_audit_line_says_whom_it_mentioned(mention: Message) -> None:
    posts = list(Record.objects.filter(kind="message.posted").select_related("payload")
                 .order_by("position"))
    said = [line.text for line in lines.record_lines(posts)]
    assert "Posted a message mentioning Anna Jansen." in said
    assert "Posted a message." in said
    with translation.override("nl"):
        assert "Bericht geplaatst waarin Anna Jansen wordt genoemd." in [
            line.text for line in lines.record_lines(posts)]


def test_the_mentioned_persons_export_lists_the_message_and_marks_it(
        mention: Message, parent: User, bram: User, teacher: User) -> None:
    data = export.collect(user=parent)
    [row] = [m for m in data["messages"] if m["message"] == mention.pk]
    assert row["mentions_subject"] is True
    assert row["body"] == "@Anna Jansen could you collect the trip money?"
    assert not any(m.get("mentions_subject") for m in data["messages"] if m is not row)
    with zipfile.ZipFile(io.BytesIO(export.bundle(data))) as bundle:
        page = bundle.read("index.html").decode()
        stored = json.loads(bundle.read("data.json"))
    assert page.count("(mentions the subject)") == 1
    assert [m["message"] for m in stored["messages"] if m.get("mentions_subject")] == [mention.pk]
    # Another member's export has the message, not the mark; nor has the sender's.
    for other in (bram, teacher):
        [seen] = [m for m in export.collect(user=other)["messages"] if m["message"] == mention.pk]
        assert "mentions_subject" not in seen
