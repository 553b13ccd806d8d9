"""The inbox page's socket and the heartbeat, against the real consumer: the inbox hears every
conversation its person reads, live, and nothing of any other (an outsider's, a leaver's after
leaving)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from accounts.models import User
from messaging.actions import edit, membership
from messaging.models import Conversation
from tests.messaging.test_consumer import connect, post, receive_until, subscribe

pytestmark = pytest.mark.django_db(transaction=True)


async def test_the_heartbeat_is_answered_at_once(parent: User) -> None:
    socket = await connect(parent)
    await socket.send_json_to({"type": "ping", "visible": True,
                               "endpoint": "https://push.invalid/x"})
    assert await socket.receive_json_from(timeout=2) == {"type": "pong"}
    await socket.send_json_to({"type": "ping"})  # the fields are optional
    assert await socket.receive_json_from(timeout=2) == {"type": "pong"}
    await socket.disconnect()


async def test_the_inbox_hears_new_messages_edits_and_retractions_of_each_conversation(
        conversation_4b: Conversation, announcements: Conversation, teacher: User,
        parent: User) -> None:
    socket = await connect(parent)
    await socket.send_json_to({"type": "inbox"})
    [ready] = await receive_until(socket, "inbox_subscribed")
    assert ready["conversations"] == sorted([conversation_4b.pk, announcements.pk])
    message, _ = await post(teacher, conversation_4b, "Swimming is on Tuesday")
    got = await socket.receive_json_from()
    assert got["type"] == "message" and got["conversation"] == conversation_4b.pk
    assert got["body"] == "Swimming is on Tuesday" and got["sender"]["name"] == "Ms de Vries"
    await post(teacher, announcements, "Term starts Monday")
    assert (await socket.receive_json_from())["conversation"] == announcements.pk
    await database_sync_to_async(edit.retract_message)(teacher, message)
    retracted = await socket.receive_json_from()
    assert retracted == {"type": "retracted", "conversation": conversation_4b.pk,
                         "seq": retracted["seq"], "id": message.pk}
    await socket.disconnect()


async def test_an_outsiders_inbox_gets_nothing_of_the_conversation(
        conversation_4b: Conversation, conversation_5a: Conversation, teacher: User,
        parent_5a: User) -> None:
    socket = await connect(parent_5a)
    await socket.send_json_to({"type": "inbox"})
    [ready] = await receive_until(socket, "inbox_subscribed")
    assert ready["conversations"] == [conversation_5a.pk]
    await post(teacher, conversation_4b, "For 4B only")
    await post(parent_5a, conversation_5a, "Hello 5A")
    # The first thing that arrives is 5A's message: nothing of 4B came before it.
    got = await socket.receive_json_from()
    assert got["conversation"] == conversation_5a.pk and got["body"] == "Hello 5A"
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_a_leavers_inbox_gets_nothing_after_they_leave(
        conversation_4b: Conversation, announcements: Conversation, teacher: User,
        parent: User, admin: User) -> None:
    socket = await connect(parent)
    await socket.send_json_to({"type": "inbox"})
    await receive_until(socket, "inbox_subscribed")
    await post(teacher, conversation_4b, "Before")
    assert (await socket.receive_json_from())["body"] == "Before"
    await database_sync_to_async(membership.end_membership)(conversation_4b, parent, actor=admin)
    assert await socket.receive_json_from() == {"type": "removed",
                                                "conversation": conversation_4b.pk}
    await post(teacher, conversation_4b, "After you left")
    await post(teacher, announcements, "Still here")
    got = await socket.receive_json_from()
    assert got["conversation"] == announcements.pk and got["body"] == "Still here"
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_a_new_membership_joins_the_inbox(
        conversation_5a: Conversation, parent_5a: User, parent: User, admin: User) -> None:
    socket = await connect(parent)
    await socket.send_json_to({"type": "inbox"})
    await receive_until(socket, "inbox_subscribed")
    await database_sync_to_async(membership.add_member)(conversation_5a, parent, actor=admin)
    assert await socket.receive_json_from() == {"type": "added", "conversation": conversation_5a.pk}
    await post(parent_5a, conversation_5a, "Welcome")
    got = await socket.receive_json_from()
    assert got["conversation"] == conversation_5a.pk and got["body"] == "Welcome"
    await socket.disconnect()


async def test_each_socket_gets_one_frame_per_message(
        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    """The inbox page's socket and a chat page's socket of the same person: each gets the
    message event once, and nothing else for it (the inbox reads the message event itself)."""
    inbox = await connect(parent)
    await inbox.send_json_to({"type": "inbox"})
    await receive_until(inbox, "inbox_subscribed")
    chat = await connect(parent)
    await subscribe(chat, conversation_4b)
    await receive_until(chat, "subscribed")
    await post(teacher, conversation_4b, "One frame each")
    for socket in (inbox, chat):
        got = await socket.receive_json_from()
        assert got["type"] == "message" and got["body"] == "One frame each"
    for socket in (inbox, chat):
        assert await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()
