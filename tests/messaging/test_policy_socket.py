"""The communication policy over the websocket: the same refusals, in the same words, as over
HTTP (tests/messaging/test_policy.py); sensitive messages travel flagged and a later marking
reaches open tabs; a lead subscribes to what they may read and sends nothing there."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import reverse

from accounts.models import School, User
from archive import scopes
from archive.models import Record
from messaging.actions import blocks, direct, send
from messaging.models import Conversation, Message
from tests.messaging.policy import policy_world
from tests.messaging.test_consumer import connect, receive_until, subscribe

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["policy_world"]  # fixture

PUPILS = "Pupils cannot message other pupils one to one."
BLOCKED = "This person does not accept your messages."


async def send_frame(user: User, conversation: Conversation, body: str,
                     **extra: Any) -> dict[str, Any]:
    """One send from a tab of ``user``'s with ``conversation`` open: its ack or error."""
    socket = await connect(user)
    await subscribe(socket, conversation)
    await receive_until(socket, "subscribed")
    client_id = str(uuid.uuid4())
    await socket.send_json_to({"type": "send", "conversation": conversation.pk,
                               "client_id": client_id, "body": body, **extra})
    while True:
        answer = await socket.receive_json_from(timeout=5)
        if answer["type"] in ("ack", "error") and answer.get("client_id") == client_id:
            break
    await socket.disconnect()
    found: dict[str, Any] = answer
    return found


def http_refusal(user: User, conversation: Conversation, body: str) -> str:
    client = Client()
    client.force_login(user)
    page = client.post(reverse("messaging:conversation", args=[conversation.pk]),
                       {"body": body, "client_id": str(uuid.uuid4())}).content.decode()
    return page


async def test_a_pupil_to_a_pupil_is_refused_as_over_http(policy_world: dict[str, Any]) -> None:
    sam, noor = policy_world["pupil"], policy_world["pupil2"]
    chat = await database_sync_to_async(direct.direct_conversation)(sam, noor)
    answer = await send_frame(sam, chat, "hi Noor")
    assert answer["type"] == "error" and answer["code"] == "forbidden"
    assert answer["message"] == PUPILS
    assert PUPILS in await database_sync_to_async(http_refusal)(sam, chat, "hi Noor")
    assert not await database_sync_to_async(Message.objects.filter(conversation=chat).exists)()


async def test_a_blocked_parents_send_is_refused_as_over_http(policy_world: dict[str, Any]) -> None:
    await database_sync_to_async(School.objects.filter(pk=policy_world["school"].pk).update)(
        parent_direct_messages=True)
    anna = await database_sync_to_async(User.objects.get)(username="parent")
    mark = await database_sync_to_async(User.objects.get)(username="parent2")
    chat = await database_sync_to_async(direct.open_direct)(anna, mark)
    assert (await send_frame(mark, chat, "before"))["type"] == "ack"
    await database_sync_to_async(blocks.block)(anna, mark)
    answer = await send_frame(mark, chat, "after the block")
    assert answer["type"] == "error" and answer["code"] == "forbidden"
    assert answer["message"] == BLOCKED
    assert BLOCKED in await database_sync_to_async(http_refusal)(mark, chat, "after")
    bodies = await database_sync_to_async(
        lambda: list(Message.objects.filter(conversation=chat).values_list("body", flat=True)))()
    assert bodies == ["before"]
    # Anna's tab never hears anything of Mark's after the block; her own sends go through.
    assert (await send_frame(anna, chat, "Please stop"))["type"] == "ack"


async def test_a_lead_subscribes_to_a_visible_conversation_and_cannot_send(
        policy_world: dict[str, Any]) -> None:
    teacher, sam, lead = policy_world["teacher"], policy_world["pupil"], policy_world["lead"]
    chat = await database_sync_to_async(direct.open_direct)(teacher, sam)
    await database_sync_to_async(send.post_message)(sam, chat, "Question about homework")
    socket = await connect(lead)
    await subscribe(socket, chat)
    replay = await receive_until(socket, "subscribed")
    assert [e.get("body") for e in replay if e["type"] == "message"] == ["Question about homework"]
    await socket.disconnect()
    # The look over the socket is on record as the page's is.
    looks = await database_sync_to_async(lambda: list(Record.objects.filter(
        scope=scopes.safeguarding(chat.school_id), kind="conversation.lead_read",
        actor=lead).values_list("payload__content__conversation", flat=True)))()
    assert looks == [chat.pk]
    answer = await send_frame(lead, chat, "hello")
    assert answer["type"] == "error" and answer["code"] == "forbidden"
    # A lead of another school: the same answer as for a conversation that does not exist.
    socket = await connect(policy_world["other_lead"])
    await subscribe(socket, chat)
    refused = await receive_until(socket, "error")
    assert refused[-1]["code"] == "not_found"
    await socket.disconnect()


async def test_a_sensitive_send_is_flagged_and_a_parent_cannot_send_one(
        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    watcher = await connect(parent)
    await subscribe(watcher, conversation_4b)
    await receive_until(watcher, "subscribed")
    answer = await send_frame(teacher, conversation_4b, "Emma's allergy plan", sensitive="health")
    assert answer["type"] == "ack"
    event = (await receive_until(watcher, "message"))[-1]
    assert event["sensitive"] == "health" and event["body"] == "Emma's allergy plan"
    refused = await send_frame(parent, conversation_4b, "My news", sensitive="family")
    assert refused["type"] == "error" and refused["code"] == "forbidden"
    assert refused["message"] == "Only staff can mark a message sensitive."
    wrong = await send_frame(teacher, conversation_4b, "x", sensitive="gossip")
    assert wrong["type"] == "error" and wrong["code"] == "invalid"
    await watcher.disconnect()


async def test_marking_sensitive_later_reaches_an_open_tab_and_on_resume(
        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    message, _ = await database_sync_to_async(send.post_message)(
        teacher, conversation_4b, "About Emma's diagnosis")
    watcher = await connect(parent)
    await subscribe(watcher, conversation_4b, after_seq=message.seq)
    await receive_until(watcher, "subscribed")
    # A parent may not; the teacher (its sender) may.
    refusing = await connect(parent)
    await refusing.send_json_to({"type": "mark_sensitive", "conversation": conversation_4b.pk,
                                 "id": message.pk, "sensitive": "health"})
    assert (await receive_until(refusing, "error"))[-1]["code"] == "forbidden"
    await refusing.disconnect()
    marker = await connect(teacher)
    await marker.send_json_to({"type": "mark_sensitive", "conversation": conversation_4b.pk,
                               "id": message.pk, "sensitive": "health"})
    assert (await receive_until(marker, "ack"))[-1]["action"] == "mark_sensitive"
    await marker.disconnect()
    live = (await receive_until(watcher, "sensitive"))[-1]
    assert live == {"type": "sensitive", "conversation": conversation_4b.pk,
                    "seq": message.seq + 1, "id": message.pk, "sensitive": "health"}
    await watcher.disconnect()
    resumed = await connect(parent)
    await subscribe(resumed, conversation_4b, after_seq=0)
    replay = await receive_until(resumed, "subscribed")
    assert [(e["type"], e.get("sensitive")) for e in replay] == [
        ("message", "health"), ("sensitive", "health"), ("subscribed", None)]
    await resumed.disconnect()
