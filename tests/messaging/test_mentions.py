"""@mentions: a group message names members with "@", and only the members it names count.

Personas: the 4B class group has Ms de Vries (teacher), Anna Jansen and Bram Bakker (parents);
Lucía García is a 5A parent, in nothing of 4B; Kees Smit was a 4B member and left.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import Role, School, User
from archive.models import Record
from messaging import frames, mentions
from messaging.access import remember_restrictions, remembered_permissions
from messaging.actions import direct, edit, membership, send
from messaging.events import logged_event
from messaging.models import Conversation, Event, Mention, Message
from messaging.text import render_body
from messaging.verbs import Malformed
from tests.factories import UserFactory
from tests.messaging.test_actions import RecordingHub
from tests.messaging.test_consumer import connect, receive_until, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def bram(school: School, conversation_4b: Conversation, admin: User) -> User:
    user = UserFactory(username="bram", display_name="Bram Bakker", role=Role.PARENT,
                       school=school, email="bram@example.invalid", phone="+31 6 1234 5678")
    membership.add_member(conversation_4b, user, actor=admin)
    return user


@pytest.fixture
def kees(school: School, conversation_4b: Conversation, admin: User) -> User:
    """A member who left the class group."""
    user = UserFactory(username="kees", display_name="Kees Smit", role=Role.PARENT, school=school)
    membership.add_member(conversation_4b, user, actor=admin)
    membership.end_membership(conversation_4b, user, actor=admin)
    return user


@pytest.fixture
def recording_hub(monkeypatch: pytest.MonkeyPatch) -> RecordingHub:
    from messaging import hub

    recorder = RecordingHub()
    monkeypatch.setattr(hub, "get_hub", lambda: recorder)
    return recorder


def named(message: Message) -> set[int]:
    return set(Mention.objects.filter(message=message).values_list("user_id", flat=True))


# --- what a client sends ---------------------------------------------------------------------

def test_the_ids_a_client_sends_are_read_as_numbers_once_each_and_never_refuse_the_message(
) -> None:
    assert mentions.clean_ids([5, "7", 5, "x", None, True, -3, 0, 2.5, "8"]) == (5, 7, 8)
    assert mentions.clean_ids("5") == ()
    assert mentions.clean_ids({"id": 5}) == ()
    assert len(mentions.clean_ids(list(range(1, 1000)))) == mentions.MAX_MENTIONS * 2
    frame = frames.parse({"type": "send", "conversation": 3, "client_id": str(uuid.uuid4()),
                          "body": "@Anna Jansen hi", "mentions": [12, "13", "nobody"]})
    assert isinstance(frame, frames.Send) and frame.mentions == (12, 13)
    # Without the field, or with nonsense in it, a send is still a send.
    plain = frames.parse({"type": "send", "conversation": 3, "client_id": str(uuid.uuid4()),
                          "body": "hi", "mentions": "everyone"})
    assert isinstance(plain, frames.Send) and plain.mentions == ()
    with pytest.raises(Malformed):
        frames.parse({"type": "send", "conversation": 3, "body": "no client id"})


def test_a_name_counts_only_as_a_whole_after_an_at_sign() -> None:
    names = ["Anna Jansen", "Anna", "Zoë O'Brien"]
    assert mentions.names_in("@Anna Jansen, see you", names) == {"Anna Jansen"}
    assert mentions.names_in("@Anna and @Anna Jansen", names) == {"Anna", "Anna Jansen"}
    assert mentions.names_in("@Annabel, mail anna@Anna Jansen", names) == set()
    assert mentions.names_in("Anna Jansen without the sign", names) == set()
    assert mentions.names_in("(@Zoë O'Brien)", names) == {"Zoë O'Brien"}
    assert mentions.names_in("@zoë o'brien", names) == set()  # as the composer wrote it


def test_the_text_highlights_mentions_but_never_inside_a_link_and_escapes_everything() -> None:
    html = render_body("@Anna Jansen: https://school.example/@Anna Jansen & <b>@Bram</b>",
                       mentions=["Anna Jansen", "Bram"])
    assert html.startswith('<span class="mention">@Anna Jansen</span>: <a href=')
    # The link ends at the space: "@Anna" inside it stays part of the link.
    assert html.count('class="mention"') == 2
    assert '<a href="https://school.example/@Anna"' in html
    assert "&lt;b&gt;<span class=\"mention\">@Bram</span>&lt;/b&gt;" in html
    hostile = render_body("@<img src=x> hi", mentions=["<img src=x>"])
    assert hostile == '<span class="mention">@&lt;img src=x&gt;</span> hi'
    # Without mentions, the text is as it always was.
    assert render_body("@Anna Jansen") == "@Anna Jansen"


# --- who is kept ------------------------------------------------------------------------------

def test_only_current_members_named_in_the_text_are_mentioned(
        conversation_4b: Conversation, teacher: User, parent: User, bram: User, kees: User,
        parent_5a: User) -> None:
    message, _ = send.post_message(
        teacher, conversation_4b,
        "@Anna Jansen @Kees Smit @Lucía García @Ms de Vries please bring the forms",
        mentions=[parent.pk, bram.pk, kees.pk, parent_5a.pk, teacher.pk, 10**9])
    # Bram is a member but not named in the text; Kees left; Lucía is in 5A; the sender is
    # never their own mention; the last id is nobody.
    assert named(message) == {parent.pk}
    record = Record.objects.get(kind="message.posted", message_id=message.pk)
    assert record.payload.content["mentions"] == [parent.pk]
    assert set(record.subject_user_ids) == {teacher.pk, parent.pk}


def test_a_message_mentions_at_most_twenty_people(conversation_4b: Conversation, teacher: User,
                                                 school: School, admin: User) -> None:
    crowd = [UserFactory(username=f"p{n:02}", display_name=f"Parent {n:02}", role=Role.PARENT,
                         school=school) for n in range(25)]
    membership.add_each(conversation_4b, crowd, actor=admin)
    body = " ".join(f"@{p.display_name}" for p in crowd)
    message, _ = send.post_message(teacher, conversation_4b, body,
                                   mentions=[p.pk for p in crowd], confirm=True)
    assert named(message) == {p.pk for p in crowd[:mentions.MAX_MENTIONS]}


@pytest.mark.parametrize("where", ["announcements", "one_to_one"])
def test_a_mention_in_a_one_to_one_or_an_announcement_is_ignored(
        request: pytest.FixtureRequest, where: str, teacher: User, parent: User) -> None:
    conversation = (request.getfixturevalue("announcements") if where == "announcements"
                    else direct.open_direct(teacher, parent))
    message, created = send.post_message(teacher, conversation, "@Anna Jansen see below",
                                         mentions=[parent.pk])
    assert created and message.body == "@Anna Jansen see below"
    assert named(message) == set()
    record = Record.objects.get(kind="message.posted", message_id=message.pk)
    assert "mentions" not in record.payload.content
    assert record.subject_user_ids == [teacher.pk]


def test_a_batch_checks_its_mentions_with_one_query_and_a_plain_batch_with_none(
        conversation_4b: Conversation, teacher: User, parent: User, bram: User) -> None:
    def count(drafts: list[send.Draft]) -> int:
        # As the socket's writer stores a batch: each sender's permissions read once.
        with CaptureQueriesContext(connection) as queries, remembered_permissions():
            remember_restrictions({d.sender.pk: d.sender for d in drafts}.values())
            outcomes: list[Any] = send.post_messages(conversation_4b, drafts)
        assert all(isinstance(o, tuple) and o[1] for o in outcomes)
        return len(queries)

    def batch(n: int, mention: bool) -> list[send.Draft]:
        return [send.Draft(teacher if i % 2 else parent,
                           "@Bram Bakker bus at 8?" if mention else "bus at 8?",
                           client_id=uuid.uuid4(), mentions=(bram.pk,) if mention else ())
                for i in range(n)]

    count(batch(2, False))  # warms the per-process caches (content types, permissions)
    plain_small, plain_large = count(batch(2, False)), count(batch(8, False))
    named_small, named_large = count(batch(2, True)), count(batch(8, True))
    assert plain_large == plain_small
    assert named_large == named_small
    # The members once and the rows once, whatever the number of messages.
    assert named_small - plain_small == 2
    assert Mention.objects.filter(user=bram).count() == 10


def test_the_form_post_keeps_the_mentions_of_its_hidden_fields(
        client: Client, conversation_4b: Conversation, teacher: User, parent: User,
        bram: User) -> None:
    client.force_login(teacher)
    response = client.post(reverse("messaging:conversation", args=[conversation_4b.pk]), {
        "body": "@Bram Bakker thanks!", "client_id": str(uuid.uuid4()),
        "mentions": [str(bram.pk), str(parent.pk), "nonsense"]})
    assert response.status_code == 302
    assert named(Message.objects.get(body="@Bram Bakker thanks!")) == {bram.pk}


# --- what members see ------------------------------------------------------------------------

def test_the_event_and_the_page_name_the_mentioned_and_the_page_offers_names_only(
        client: Client, conversation_4b: Conversation, teacher: User, parent: User, bram: User,
        recording_hub: RecordingHub,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message, _ = send.post_message(teacher, conversation_4b, "@Anna Jansen can you help?",
                                       mentions=[parent.pk])
    [(_conv, event)] = recording_hub.published
    assert event["mentions"] == [{"id": parent.pk, "name": "Anna Jansen"}]
    replayed = logged_event(Event.objects.get(message=message))
    assert dict(replayed)["mentions"] == event["mentions"]

    client.force_login(parent)
    page = client.get(reverse("messaging:conversation", args=[conversation_4b.pk]))
    html = page.content.decode()
    assert f'class="message mentions-me" id="m{message.pk}"' in html
    assert '<span class="mention">@Anna Jansen</span> can you help?' in html
    assert "Mentions you" in html
    # The composer's people: the others, by name; no phone numbers or e-mail addresses.
    offered = page.context["mention_people"]
    assert offered == [{"id": bram.pk, "name": "Bram Bakker"},
                       {"id": teacher.pk, "name": "Ms de Vries"}]
    assert 'id="mention-people"' in html
    assert "bram@example.invalid" not in html and "+31 6 1234 5678" not in html

    client.force_login(bram)
    html = client.get(reverse("messaging:conversation", args=[conversation_4b.pk])
                      ).content.decode()
    assert f'class="message" id="m{message.pk}"' in html
    assert '<span class="mention">@Anna Jansen</span>' in html


def test_the_page_offers_nobody_where_mentions_do_not_apply(
        client: Client, conversation_4b: Conversation, announcements: Conversation,
        teacher: User, parent: User) -> None:
    client.force_login(teacher)
    # Only one other member: they are told about every message anyway.
    page = client.get(reverse("messaging:conversation", args=[conversation_4b.pk]))
    assert page.context["mention_people"] == [] and 'id="mention-people"' not in page.content.decode()
    page = client.get(reverse("messaging:conversation", args=[announcements.pk]))
    assert page.context["mention_people"] == []


def test_a_retracted_message_no_longer_names_anyone(
        conversation_4b: Conversation, teacher: User, parent: User, bram: User,
        client: Client) -> None:
    message, _ = send.post_message(teacher, conversation_4b, "@Anna Jansen oops",
                                   mentions=[parent.pk])
    edit.retract_message(teacher, message)
    message.refresh_from_db()
    assert dict(logged_event(Event.objects.get(message=message, kind="message")))[
        "mentions"] == []
    client.force_login(parent)
    html = client.get(reverse("messaging:conversation", args=[conversation_4b.pk])
                      ).content.decode()
    assert "mentions-me" not in html.split('id="message-mine"')[0]


# --- over the socket ---------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
async def test_the_mentioned_member_receives_the_message_naming_them_live(
        conversation_4b: Conversation, teacher: User, parent: User, bram: User) -> None:
    sender, reader = await connect(teacher), await connect(parent)
    for socket in (sender, reader):
        await subscribe(socket, conversation_4b)
        await receive_until(socket, "subscribed")
    client_id = str(uuid.uuid4())
    await sender.send_json_to({"type": "send", "conversation": conversation_4b.pk,
                               "client_id": client_id,
                               "body": "@Anna Jansen @Bram Bakker the trip is on",
                               "mentions": [parent.pk, bram.pk, 10**9]})
    [event] = [e for e in await receive_until(reader, "message") if e["type"] == "message"]
    assert event["body"] == "@Anna Jansen @Bram Bakker the trip is on"
    assert event["mentions"] == [{"id": parent.pk, "name": "Anna Jansen"},
                                 {"id": bram.pk, "name": "Bram Bakker"}]
    ack = (await receive_until(sender, "ack"))[-1]
    assert ack["client_id"] == client_id
    stored = await database_sync_to_async(named)(await database_sync_to_async(
        Message.objects.get)(pk=ack["id"]))
    assert stored == {parent.pk, bram.pk}
    # A reconnecting page gets the same from the backlog.
    late = await connect(bram)
    await subscribe(late, conversation_4b, after_seq=event["seq"] - 1)
    replay = [e for e in await receive_until(late, "subscribed") if e["type"] == "message"]
    assert replay[0]["mentions"] == event["mentions"]
    for socket in (sender, reader, late):
        await socket.disconnect()
