"""The school's moderation over the websocket: a removal reaches every open tab live and on
resume, a restricted member gets the HTTP refusal's words, and a held message reaches nobody
but its sender until it is released, then everyone exactly once."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import User
from messaging.actions import moderation, send
from messaging.models import Conversation, Message
from tests.messaging.moderation import lead, screened
from tests.messaging.test_consumer import connect, receive_until, subscribe

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["lead", "screened"]  # fixtures

post = database_sync_to_async(send.post_message)


async def subscribed(user: User, conversation: Conversation) -> WebsocketCommunicator:
    """A tab of ``user``'s with ``conversation`` open, past its ``subscribed`` answer."""
    socket = await connect(user)
    await subscribe(socket, conversation)
    await receive_until(socket, "subscribed")
    return socket


@database_sync_to_async
def remove(by: User, message: Message) -> Message:
    return moderation.remove_message(by=by, message=message, reason="Unkind")


@database_sync_to_async
def release(by: User, message: Message) -> Message:
    return moderation.release_message(by=by, message=message)


@database_sync_to_async
def reject(by: User, message: Message) -> Message:
    return moderation.reject_message(by=by, message=message, reason="Risk")


async def test_a_removal_reaches_another_members_tab_live_and_on_resume(
        conversation_4b: Conversation, teacher: User, parent: User, lead: User) -> None:
    socket = await subscribed(teacher, conversation_4b)
    message, _ = await post(parent, conversation_4b, "Something unkind")
    assert (await receive_until(socket, "message"))[-1]["body"] == "Something unkind"
    await remove(lead, message)
    live = await receive_until(socket, "message_removed")
    assert live[-1] == {"type": "message_removed", "conversation": conversation_4b.pk,
                        "seq": 2, "id": message.pk}
    await socket.disconnect()

    # A tab that was away replays both: the message, already without its text, then its removal.
    socket = await connect(teacher)
    await subscribe(socket, conversation_4b, after_seq=0)
    replay = await receive_until(socket, "subscribed")
    assert [(e["type"], e.get("body"), e.get("removed")) for e in replay] == [
        ("message", "", True), ("message_removed", None, None), ("subscribed", None, None)]
    await socket.disconnect()


async def test_a_restricted_member_is_refused_over_the_socket_as_over_http(
        conversation_4b: Conversation, parent: User, lead: User) -> None:
    restriction = await database_sync_to_async(moderation.restrict_member)(
        by=lead, user=parent, until=timezone.now() + timedelta(days=1), reason="Pause")
    socket = await connect(parent)
    await subscribe(socket, conversation_4b)
    await receive_until(socket, "subscribed")
    await socket.send_json_to({"type": "send", "conversation": conversation_4b.pk,
                               "client_id": str(uuid.uuid4()), "body": "let me"})
    error = await receive_until(socket, "error")
    with pytest.raises(PermissionDenied) as http_refusal:
        await post(parent, conversation_4b, "over HTTP")
    assert error[-1]["code"] == "forbidden"
    assert error[-1]["message"] == str(http_refusal.value.args[0])
    assert "You can read but not send messages until" in error[-1]["message"]
    assert await database_sync_to_async(Message.objects.count)() == 0

    await database_sync_to_async(moderation.lift_restriction)(by=lead, restriction=restriction)
    await socket.send_json_to({"type": "send", "conversation": conversation_4b.pk,
                               "client_id": str(uuid.uuid4()), "body": "back again"})
    assert (await receive_until(socket, "ack"))[-1]["seq"] == 1
    await socket.disconnect()


async def test_a_held_message_reaches_only_its_sender_until_released_then_everyone_once(
        conversation_4b: Conversation, teacher: User, parent: User, lead: User,
        screened: None) -> None:
    teacher_socket = await subscribed(teacher, conversation_4b)
    parent_socket = await subscribed(parent, conversation_4b)
    client_id = str(uuid.uuid4())
    await parent_socket.send_json_to({"type": "send", "conversation": conversation_4b.pk,
                                      "client_id": client_id, "body": "Meet me at the gate"})
    got = await receive_until(parent_socket, "ack")
    ack = got[-1]
    assert ack["held"] is True and ack["seq"] == 1
    # The sending tab is sent it too, as its sender alone sees it.
    if not any(e["type"] == "message" for e in got):
        got += await receive_until(parent_socket, "message")
    assert [(e["id"], e["seq"], e["held"]) for e in got if e["type"] == "message"] == [
        (ack["id"], 1, True)]
    # The other member's tab moves its seq on and learns nothing else.
    skip = (await receive_until(teacher_socket, "skip"))[-1]
    assert skip == {"type": "skip", "conversation": conversation_4b.pk, "seq": 1}
    held = await database_sync_to_async(Message.objects.get)(pk=ack["id"])
    await teacher_socket.disconnect()

    await release(lead, held)
    live = await receive_until(parent_socket, "message")
    assert (live[-1]["id"], live[-1]["seq"], live[-1]["body"]) == (held.pk, 2,
                                                                   "Meet me at the gate")
    assert await parent_socket.receive_nothing(timeout=0.3)

    # A tab that saw seq 1 resumes with the released message, once.
    teacher_socket = await connect(teacher)
    await subscribe(teacher_socket, conversation_4b, after_seq=1)
    replay = await receive_until(teacher_socket, "subscribed")
    assert [(e["type"], e.get("id"), e["seq"]) for e in replay] == [
        ("message", held.pk, 2), ("subscribed", None, 2)]
    await teacher_socket.disconnect()

    # One that saw nothing gets the skip and then the message: no gap, no copy.
    teacher_socket = await connect(teacher)
    await subscribe(teacher_socket, conversation_4b, after_seq=0)
    replay = await receive_until(teacher_socket, "subscribed")
    assert [(e["type"], e["seq"]) for e in replay] == [("skip", 1), ("message", 2),
                                                       ("subscribed", 2)]
    assert "Meet me" not in str(replay[0])
    await teacher_socket.disconnect()
    await parent_socket.disconnect()


async def test_a_rejection_tells_only_the_senders_tab(
        conversation_4b: Conversation, teacher: User, parent: User, lead: User,
        screened: None) -> None:
    teacher_socket = await subscribed(teacher, conversation_4b)
    parent_socket = await subscribed(parent, conversation_4b)
    held, _ = await post(parent, conversation_4b, "meet me behind the gym")
    await receive_until(teacher_socket, "skip")
    mine = (await receive_until(parent_socket, "message"))[-1]
    assert (mine["id"], mine["held"], mine["rejected"]) == (held.pk, True, False)
    await reject(lead, held)
    told = (await receive_until(parent_socket, "rejected"))[-1]
    assert told == {"type": "rejected", "conversation": conversation_4b.pk, "id": held.pk}
    assert await teacher_socket.receive_nothing(timeout=0.3)
    await teacher_socket.disconnect()
    await parent_socket.disconnect()


async def test_other_members_cannot_act_on_a_held_message_over_the_socket(
        conversation_4b: Conversation, teacher: User, parent: User, screened: None) -> None:
    held, _ = await post(parent, conversation_4b, "meet me at noon")
    socket = await connect(teacher)
    await socket.send_json_to({"type": "pin", "conversation": conversation_4b.pk,
                               "id": held.pk})
    error = await receive_until(socket, "error")
    assert error[-1]["code"] == "not_found"  # as for a message that does not exist
    await socket.send_json_to({"type": "send", "conversation": conversation_4b.pk,
                               "client_id": str(uuid.uuid4()), "body": "re", "reply_to": held.pk})
    error = await receive_until(socket, "error")
    assert error[-1]["code"] == "not_found"
    await socket.disconnect()


async def test_a_held_message_shows_on_its_senders_other_tabs_and_nobody_elses(
        conversation_4b: Conversation, teacher: User, parent: User, lead: User,
        screened: None) -> None:
    teacher_socket = await subscribed(teacher, conversation_4b)
    sending = await subscribed(parent, conversation_4b)
    phone = await subscribed(parent, conversation_4b)
    client_id = str(uuid.uuid4())
    await sending.send_json_to({"type": "send", "conversation": conversation_4b.pk,
                                "client_id": client_id, "body": "Meet me at the gate"})
    got = await receive_until(sending, "ack")
    ack = got[-1]
    assert ack["held"] is True
    if not any(e["type"] == "message" for e in got):
        got += await receive_until(sending, "message")
    assert [(e["id"], e["held"]) for e in got if e["type"] == "message"] == [(ack["id"], True)]
    # The sender's phone shows it as the sending tab does: waiting for the school's review.
    shown = (await receive_until(phone, "message"))[-1]
    assert (shown["id"], shown["seq"], shown["body"], shown["held"], shown["rejected"],
            shown["client_id"]) == (ack["id"], 1, "Meet me at the gate", True, False, client_id)
    assert shown["sender"]["id"] == parent.pk
    # Another member gets exactly the bytes of a skip: no sender, no message, no text.
    frame = await teacher_socket.receive_from()
    assert frame == json.dumps({"type": "skip", "conversation": conversation_4b.pk, "seq": 1})
    assert await teacher_socket.receive_nothing(timeout=0.2)

    # On resume too: the sender's tab that was away gets the held message, the member a skip.
    await phone.disconnect()
    phone = await connect(parent)
    await subscribe(phone, conversation_4b, after_seq=0)
    replay = await receive_until(phone, "subscribed")
    assert [(e["type"], e.get("held"), e["seq"]) for e in replay] == [
        ("message", True, 1), ("subscribed", None, 1)]
    other = await connect(teacher)
    await subscribe(other, conversation_4b, after_seq=0)
    replay = await receive_until(other, "subscribed")
    assert replay == [{"type": "skip", "conversation": conversation_4b.pk, "seq": 1},
                      {"type": "subscribed", "conversation": conversation_4b.pk, "seq": 1}]
    await other.disconnect()

    # Released: every tab gets the message once, at its new seq, no longer held.
    held = await database_sync_to_async(Message.objects.get)(pk=ack["id"])
    await release(lead, held)
    for socket in (teacher_socket, sending, phone):
        live = await receive_until(socket, "message")
        assert [(e["type"], e["id"], e["seq"], e.get("held")) for e in live] == [
            ("message", held.pk, 2, None)]
        assert await socket.receive_nothing(timeout=0.2)
    # A sender's tab that saw nothing replays a skip for the old seq, then the message once.
    late = await connect(parent)
    await subscribe(late, conversation_4b, after_seq=0)
    replay = await receive_until(late, "subscribed")
    assert [(e["type"], e["seq"]) for e in replay] == [("skip", 1), ("message", 2),
                                                       ("subscribed", 2)]
    for socket in (teacher_socket, sending, phone, late):
        await socket.disconnect()
