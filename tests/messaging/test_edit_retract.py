"""Editing and retracting your own message: the same rules over HTTP and the socket, and
every change reaches a reconnecting client in seq order."""

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from archive.models import Record
from messaging.actions import edit, membership, send
from messaging.models import Conversation, Event, Message
from tests.messaging.test_consumer import connect, receive_until, subscribe

pytestmark = pytest.mark.django_db


def _age(message: Message, minutes: float) -> None:
    Message.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes))
    message.refresh_from_db()


def test_editing_keeps_the_history_in_the_archive_and_takes_the_next_seq(
        conversation_4b: Conversation, parent: User, teacher: User) -> None:
    message, _ = send.post_message(parent, conversation_4b, "See you at 8")
    edited = edit.edit_message(parent, message, "See you at 9")
    assert edited.body == "See you at 9" and edited.edited_at is not None
    assert edited.seq == 1  # the message keeps the seq it was created with
    assert list(Event.objects.values_list("seq", "kind")) == [(1, "message"), (2, "edited")]
    record = Record.objects.get(kind="message.edited")
    assert record.payload.content["previous"] == "See you at 8"
    assert record.payload.content["body"] == "See you at 9"


def test_retracting_empties_the_live_row_but_the_archive_keeps_the_text(conversation_4b: Conversation,
                                                                       parent: User) -> None:
    message, _ = send.post_message(parent, conversation_4b, "wrong group, sorry")
    edit.retract_message(parent, message)
    message.refresh_from_db()
    assert message.body == "" and message.retracted_at is not None
    assert Record.objects.get(kind="message.retracted").payload.content["body"] == (
        "wrong group, sorry")
    # A retracted message cannot be edited back to life.
    with pytest.raises(ValidationError) as info:
        edit.edit_message(parent, message, "back")
    assert info.value.code == "retracted"


@pytest.mark.parametrize(("author", "other"), [("parent", "teacher"), ("teacher", "parent")])
def test_nobody_edits_or_retracts_someone_elses_message(request: pytest.FixtureRequest,
                                                        conversation_4b: Conversation, author: str,
                                                        other: str) -> None:
    writer, stranger = request.getfixturevalue(author), request.getfixturevalue(other)
    message, _ = send.post_message(writer, conversation_4b, "mine")
    with pytest.raises(PermissionDenied):
        edit.edit_message(stranger, message, "yours now")
    with pytest.raises(PermissionDenied):
        edit.retract_message(stranger, message)
    message.refresh_from_db()
    assert message.body == "mine" and Event.objects.count() == 1


def test_the_window_closes_after_fifteen_minutes(conversation_4b: Conversation, parent: User) -> None:
    message, _ = send.post_message(parent, conversation_4b, "old news")
    _age(message, 16)
    changes: list[Callable[[], object]] = [lambda: edit.edit_message(parent, message, "new"),
                                           lambda: edit.retract_message(parent, message)]
    for change in changes:
        with pytest.raises(ValidationError) as info:
            change()
        assert info.value.code == "window_expired"
        assert "15 minutes" in info.value.messages[0]
    assert Event.objects.count() == 1


def test_a_member_who_left_cannot_change_what_they_wrote(conversation_4b: Conversation, parent: User,
                                                         admin: User) -> None:
    message, _ = send.post_message(parent, conversation_4b, "bye")
    membership.end_membership(conversation_4b, parent, actor=admin)
    with pytest.raises(PermissionDenied):
        edit.retract_message(parent, message)


# --- HTTP -------------------------------------------------------------------------------------
def _url(name: str, message: Message) -> str:
    return reverse(f"messaging:{name}", args=[message.conversation_id, message.pk])


def test_members_see_retracted_and_edited_markers_instead_of_the_text(client: Client,
                                                                      conversation_4b: Conversation,
                                                                      parent: User, teacher: User) -> None:
    gone, _ = send.post_message(parent, conversation_4b, "secret typo")
    changed, _ = send.post_message(parent, conversation_4b, "draft")
    client.force_login(parent)
    assert client.post(_url("retract", gone)).status_code == 302
    assert client.post(_url("edit", changed), {"body": "final"}).status_code == 302
    client.force_login(teacher)
    page = client.get(reverse("messaging:conversation", args=[conversation_4b.pk]))
    html = page.content.decode()
    assert "secret typo" not in html and "message retracted" in html
    assert "final" in html and "edited" in html and "draft" not in html


@pytest.mark.parametrize("persona", ["teacher", "parent_5a", "admin", "dpo"])
def test_other_people_cannot_edit_or_retract_over_http(client: Client, request: pytest.FixtureRequest,
                                                       conversation_4b: Conversation, parent: User,
                                                       persona: str) -> None:
    message, _ = send.post_message(parent, conversation_4b, "mine")
    client.force_login(request.getfixturevalue(persona))
    expected = 403 if persona == "teacher" else 404  # outsiders cannot tell it exists
    assert client.post(_url("edit", message), {"body": "hijacked"}).status_code == expected
    assert client.post(_url("retract", message)).status_code == expected
    message.refresh_from_db()
    assert message.body == "mine" and message.retracted_at is None


def test_an_expired_window_is_explained_over_http(client: Client, conversation_4b: Conversation,
                                                  parent: User) -> None:
    message, _ = send.post_message(parent, conversation_4b, "old")
    _age(message, 20)
    client.force_login(parent)
    response = client.post(_url("retract", message))
    assert response.status_code == 400
    assert "within 15 minutes" in response.content.decode()


def test_the_edit_controls_show_only_on_my_recent_messages(client: Client, conversation_4b: Conversation,
                                                           parent: User, teacher: User) -> None:
    mine, _ = send.post_message(parent, conversation_4b, "mine")
    theirs, _ = send.post_message(teacher, conversation_4b, "theirs")
    old, _ = send.post_message(parent, conversation_4b, "old")
    _age(old, 30)
    client.force_login(parent)
    html = client.get(reverse("messaging:conversation", args=[conversation_4b.pk])).content.decode()
    assert _url("retract", mine) in html
    assert _url("retract", theirs) not in html and _url("retract", old) not in html


# --- websocket --------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
async def test_edits_and_retractions_reach_other_members_live(conversation_4b: Conversation, parent: User,
                                                              teacher: User) -> None:
    post = database_sync_to_async(send.post_message)
    parent_socket, teacher_socket = await connect(parent), await connect(teacher)
    for s in (parent_socket, teacher_socket):
        await subscribe(s, conversation_4b)
        await receive_until(s, "subscribed")
    message, _ = await post(parent, conversation_4b, "Bring boots")
    await receive_until(teacher_socket, "message")
    await parent_socket.send_json_to({"type": "edit", "conversation": conversation_4b.pk,
                                      "id": message.pk, "body": "Bring wellies"})
    ack = (await receive_until(parent_socket, "ack"))[-1]
    assert ack["action"] == "edit" and ack["id"] == message.pk
    edited = await receive_until(teacher_socket, "edited")
    assert edited[-1] | {"edited_at": None} == {
        "type": "edited", "conversation": conversation_4b.pk, "seq": 2, "id": message.pk,
        "body": "Bring wellies", "edited_at": None}
    await parent_socket.send_json_to({"type": "retract", "conversation": conversation_4b.pk,
                                      "id": message.pk})
    await receive_until(parent_socket, "ack")
    retracted = (await receive_until(teacher_socket, "retracted"))[-1]
    assert retracted == {"type": "retracted", "conversation": conversation_4b.pk, "seq": 3,
                         "id": message.pk}
    await parent_socket.disconnect()
    await teacher_socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_reconnecting_client_replays_every_change_in_seq_order(conversation_4b: Conversation,
                                                                       parent: User, teacher: User) -> None:
    def story() -> None:
        first, _ = send.post_message(parent, conversation_4b, "one")
        second, _ = send.post_message(parent, conversation_4b, "two")
        edit.edit_message(parent, first, "one, corrected")
        edit.retract_message(parent, second)

    await database_sync_to_async(story)()
    socket = await connect(teacher)
    await subscribe(socket, conversation_4b, after_seq=1)
    events = await receive_until(socket, "subscribed")
    assert [(e["type"], e.get("seq")) for e in events] == [
        ("message", 2), ("edited", 3), ("retracted", 4), ("subscribed", 4)]
    # Replayed from the current state: the retracted text is not sent again.
    assert events[0]["body"] == "" and events[0]["retracted"] is True
    assert events[1]["body"] == "one, corrected"
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("persona", "code"),
                         [("teacher", "forbidden"), ("parent_5a", "not_found"),
                          ("admin", "not_found")])
async def test_the_socket_refuses_changes_to_someone_elses_message(request: pytest.FixtureRequest,
                                                                   conversation_4b: Conversation,
                                                                   parent: User, persona: str,
                                                                   code: str) -> None:
    user = await database_sync_to_async(request.getfixturevalue)(persona)
    message, _ = await database_sync_to_async(send.post_message)(parent, conversation_4b, "x")
    socket = await connect(user)
    for verb in ("edit", "retract"):
        await socket.send_json_to({"type": verb, "conversation": conversation_4b.pk,
                                   "id": message.pk, "body": "y"})
        error = await socket.receive_json_from()
        assert error["type"] == "error" and error["code"] == code and error["id"] == message.pk
    await socket.disconnect()
    assert await database_sync_to_async(Event.objects.count)() == 1


@pytest.mark.django_db(transaction=True)
async def test_the_socket_explains_an_expired_window(conversation_4b: Conversation, parent: User) -> None:
    message, _ = await database_sync_to_async(send.post_message)(parent, conversation_4b, "x")
    await database_sync_to_async(_age)(message, 16)
    socket = await connect(parent)
    await socket.send_json_to({"type": "retract", "conversation": conversation_4b.pk,
                               "id": message.pk, "client_id": str(uuid.uuid4())})
    error = await socket.receive_json_from()
    assert error["code"] == "window_expired" and "15 minutes" in error["message"]
    await socket.disconnect()


def test_the_events_endpoint_replays_changes_for_members_only(client: Client, conversation_4b: Conversation,
                                                              parent: User, parent_5a: User) -> None:
    message, _ = send.post_message(parent, conversation_4b, "draft")
    edit.edit_message(parent, message, "final")
    url = reverse("messaging:events", args=[conversation_4b.pk])
    client.force_login(parent)
    events = client.get(url, {"after_seq": 1}).json()["events"]
    assert [(e["type"], e["seq"], e["body"]) for e in events] == [("edited", 2, "final")]
    client.force_login(parent_5a)
    assert client.get(url).status_code == 404
