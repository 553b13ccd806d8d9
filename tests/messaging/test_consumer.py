"""The websocket path, driven with Channels' WebsocketCommunicator against the real consumer."""

import json
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from pytest_django.fixtures import Settings

from accounts.models import User
from messaging import hub
from messaging.actions import membership, send
from messaging.consumers import ChatConsumer
from messaging.models import Conversation, Message

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(user: User) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/")
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    assert connected, code
    hello = await communicator.receive_json_from()
    assert hello["type"] == "hello"
    return communicator


async def subscribe(communicator: WebsocketCommunicator, conversation: Conversation,
                    after_seq: int = 0) -> None:
    await communicator.send_json_to(
        {"type": "subscribe", "conversation": conversation.pk, "after_seq": after_seq}
    )


async def receive_until(communicator: WebsocketCommunicator, kind: str,
                        timeout: float = 5) -> list[dict[str, Any]]:
    """Messages received up to and including the first of type ``kind``."""
    seen = []
    while True:
        event = await communicator.receive_json_from(timeout=timeout)
        seen.append(event)
        if event["type"] == kind:
            return seen


post = database_sync_to_async(send.post_message)


async def test_an_anonymous_socket_is_refused() -> None:
    from django.contrib.auth.models import AnonymousUser

    communicator = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/")
    communicator.scope["user"] = AnonymousUser()
    connected, code = await communicator.connect()
    assert not connected
    assert code == 4401


async def test_a_member_gets_the_backlog_after_their_last_seq(conversation_4b: Conversation, teacher: User,
                                                              parent: User) -> None:
    for n in range(4):
        await post(teacher, conversation_4b, f"m{n}")
    communicator = await connect(parent)
    await subscribe(communicator, conversation_4b, after_seq=2)
    events = await receive_until(communicator, "subscribed")
    assert [e["body"] for e in events if e["type"] == "message"] == ["m2", "m3"]
    assert events[-1] == {"type": "subscribed", "conversation": conversation_4b.pk, "seq": 4}
    await communicator.disconnect()


@pytest.mark.parametrize("persona", ["parent_5a", "admin", "dpo"])
async def test_outsiders_cannot_subscribe(request: pytest.FixtureRequest, conversation_4b: Conversation,
                                          teacher: User, persona: str) -> None:
    outsider = await database_sync_to_async(request.getfixturevalue)(persona)
    communicator = await connect(outsider)
    await subscribe(communicator, conversation_4b)
    refusal = await communicator.receive_json_from()
    assert refusal["type"] == "error" and refusal["code"] == "not_found"
    # Nothing posted afterwards reaches the outsider.
    await post(teacher, conversation_4b, "private to 4B")
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_a_missing_conversation_is_refused_like_a_forbidden_one(parent: User) -> None:
    communicator = await connect(parent)
    await communicator.send_json_to({"type": "subscribe", "conversation": 999999, "after_seq": 0})
    refusal = await communicator.receive_json_from()
    assert refusal["code"] == "not_found"
    await communicator.disconnect()


@pytest.mark.parametrize("persona", ["parent_5a", "admin"])
async def test_outsiders_cannot_post_over_the_socket(request: pytest.FixtureRequest,
                                                     conversation_4b: Conversation, persona: str) -> None:
    outsider = await database_sync_to_async(request.getfixturevalue)(persona)
    communicator = await connect(outsider)
    client_id = str(uuid.uuid4())
    await communicator.send_json_to({"type": "send", "conversation": conversation_4b.pk,
                                     "client_id": client_id, "body": "let me in"})
    error = await communicator.receive_json_from()
    assert error["type"] == "error" and error["code"] == "not_found"
    assert error["client_id"] == client_id
    assert not await database_sync_to_async(Message.objects.exists)()
    await communicator.disconnect()


async def test_a_parent_cannot_post_in_announcements_over_the_socket(announcements: Conversation,
                                                                     parent: User) -> None:
    communicator = await connect(parent)
    await communicator.send_json_to({"type": "send", "conversation": announcements.pk,
                                     "client_id": str(uuid.uuid4()), "body": "reply all"})
    error = await communicator.receive_json_from()
    assert error["code"] == "forbidden"
    await communicator.disconnect()


async def test_a_message_sent_by_one_member_reaches_the_other_live(conversation_4b: Conversation,
                                                                   teacher: User, parent: User) -> None:
    teacher_socket = await connect(teacher)
    parent_socket = await connect(parent)
    for socket in (teacher_socket, parent_socket):
        await subscribe(socket, conversation_4b)
        await receive_until(socket, "subscribed")
    client_id = str(uuid.uuid4())
    await teacher_socket.send_json_to({"type": "send", "conversation": conversation_4b.pk,
                                       "client_id": client_id, "body": "Trip tomorrow"})
    teacher_events = await receive_until(teacher_socket, "ack")
    ack = teacher_events[-1]
    assert ack["client_id"] == client_id and ack["seq"] == 1
    live = await parent_socket.receive_json_from(timeout=5)
    assert live["type"] == "message"
    assert (live["body"], live["seq"], live["client_id"]) == ("Trip tomorrow", 1, client_id)
    assert live["sender"] == {"id": teacher.pk, "name": "Ms de Vries", "role": "teacher"}
    await teacher_socket.disconnect()
    await parent_socket.disconnect()


async def test_a_retried_send_is_acked_with_the_first_message(conversation_4b: Conversation,
                                                              parent: User) -> None:
    communicator = await connect(parent)
    frame = {"type": "send", "conversation": conversation_4b.pk,
             "client_id": str(uuid.uuid4()), "body": "once"}
    await communicator.send_json_to(frame)
    first = await receive_until(communicator, "ack")
    await communicator.send_json_to(frame)
    second = await receive_until(communicator, "ack")
    assert first[-1]["id"] == second[-1]["id"]
    assert await database_sync_to_async(Message.objects.count)() == 1
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "malformed"),
        ("[1, 2]", "malformed"),
        (json.dumps({"type": "shout"}), "unknown_type"),
        (json.dumps({"type": "subscribe", "conversation": "4B"}), "malformed"),
        (json.dumps({"type": "subscribe", "conversation": 1, "after_seq": -1}), "malformed"),
        (json.dumps({"type": "send", "conversation": 1, "client_id": "nope", "body": "x"}),
         "malformed"),
        (json.dumps({"type": "send", "conversation": 1, "client_id": str(uuid.uuid4()),
                     "body": "x", "attachments": "token"}), "malformed"),
        (json.dumps({"type": ["send"]}), "unknown_type"),
        (json.dumps({"type": {"a": 1}}), "unknown_type"),
        (json.dumps({"type": "edit", "conversation": 1}), "malformed"),
        (json.dumps({"type": "pin", "conversation": 1, "id": "311"}), "malformed"),
        (json.dumps({"type": "seen", "conversation": 1, "seq": "44"}), "malformed"),
        (json.dumps({"type": "seen", "conversation": True, "seq": 4}), "malformed"),
    ],
)
async def test_malformed_frames_get_a_clear_error_and_the_socket_stays_open(parent: User, frame: str,
                                                                            code: str) -> None:
    communicator = await connect(parent)
    await communicator.send_to(text_data=frame)
    error = await communicator.receive_json_from()
    assert error["type"] == "error" and error["code"] == code and error["message"]
    await communicator.send_json_to({"type": "ping"})
    assert (await communicator.receive_json_from())["type"] == "pong"
    await communicator.disconnect()


async def test_an_oversized_message_is_refused_with_its_client_id(conversation_4b: Conversation, parent: User,
                                                                  settings: Settings) -> None:
    settings.SCHOOLCHAT_MESSAGE_MAX_CHARS = 10
    communicator = await connect(parent)
    client_id = str(uuid.uuid4())
    await communicator.send_json_to({"type": "send", "conversation": conversation_4b.pk,
                                     "client_id": client_id, "body": "x" * 50})
    error = await communicator.receive_json_from()
    assert error["code"] == "too_long" and error["client_id"] == client_id
    assert "50" in error["message"]
    await communicator.disconnect()


def _store_unpublished(conversation: Conversation, sender: User, seq: int, body: str) -> Message:
    """A message and its log entry committed, whose live event never reaches the hub."""
    from messaging.models import Conversation, Event

    message = Message.objects.create(conversation=conversation, seq=seq, sender=sender, body=body)
    Event.objects.create(conversation=conversation, seq=seq, kind="message", message=message)
    Conversation.objects.filter(pk=conversation.pk).update(last_seq=seq)
    return message


async def test_a_gap_in_the_live_stream_is_filled_from_the_database(conversation_4b: Conversation,
                                                                    teacher: User, parent: User) -> None:
    communicator = await connect(parent)
    await subscribe(communicator, conversation_4b)
    await receive_until(communicator, "subscribed")
    from messaging.events import message_event

    await post(teacher, conversation_4b, "first")
    assert (await communicator.receive_json_from())["body"] == "first"
    # Two events are stored, but only the second one's event reaches the hub (the first was
    # "lost", as a Redis pub/sub message can be).
    await database_sync_to_async(_store_unpublished)(conversation_4b, teacher, 2,
                                                     "second, never published")
    third = await database_sync_to_async(_store_unpublished)(conversation_4b, teacher, 3, "third")
    hub.get_hub().publish(conversation_4b.pk,
                          dict(await database_sync_to_async(message_event)(third)))
    got = [await communicator.receive_json_from(), await communicator.receive_json_from()]
    assert [(e["seq"], e["body"]) for e in got] == [(2, "second, never published"), (3, "third")]
    await communicator.disconnect()


async def test_ending_membership_stops_delivery_at_once(conversation_4b: Conversation, teacher: User,
                                                        parent: User, admin: User) -> None:
    communicator = await connect(parent)
    await subscribe(communicator, conversation_4b)
    await receive_until(communicator, "subscribed")
    await database_sync_to_async(membership.end_membership)(conversation_4b, parent, actor=admin)
    removed = await communicator.receive_json_from(timeout=5)
    assert removed == {"type": "removed", "conversation": conversation_4b.pk}
    await post(teacher, conversation_4b, "after you left")
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_disconnect_user_closes_every_socket_of_that_user(conversation_4b: Conversation,
                                                                parent: User) -> None:
    first = await connect(parent)
    second = await connect(parent)
    hub.get_hub().disconnect_user(parent.pk)
    for communicator in (first, second):
        closed = await communicator.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": 4403}


async def test_a_slow_socket_is_closed_instead_of_growing_memory(conversation_4b: Conversation, teacher: User,
                                                                 parent: User, settings: Settings) -> None:
    settings.SCHOOLCHAT_SOCKET_QUEUE = 3
    communicator = await connect(parent)
    consumer_hub = hub.get_hub()
    await subscribe(communicator, conversation_4b)
    await receive_until(communicator, "subscribed")
    # Flood the socket's queue faster than it can be drained (the loop never yields between).
    for seq in range(100, 120):
        consumer_hub._fanout(f"conv:{conversation_4b.pk}",
                             {"type": "message", "conversation": conversation_4b.pk, "seq": seq})
    outputs = []
    while True:
        output = await communicator.receive_output(timeout=5)
        outputs.append(output)
        if output["type"] == "websocket.close":
            break
    assert outputs[-1]["code"] == 4408
    await communicator.disconnect()
    # The gap reads the flood set off run on the database thread; wait until they are done, so
    # the test database is not flushed under a query still running (a deadlock on PostgreSQL).
    await database_sync_to_async(lambda: None)()


async def test_a_client_that_reconnects_with_its_last_seq_gets_exactly_what_it_missed(
        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    socket = await connect(parent)
    await subscribe(socket, conversation_4b)
    await receive_until(socket, "subscribed")
    await post(teacher, conversation_4b, "before the drop")
    seen = (await receive_until(socket, "message"))[-1]
    await socket.disconnect()

    for text in ("one", "two", "three"):
        await post(teacher, conversation_4b, text)

    socket = await connect(parent)
    await subscribe(socket, conversation_4b, after_seq=seen["seq"])
    replay = await receive_until(socket, "subscribed")
    assert [(e["type"], e.get("body")) for e in replay] == [
        ("message", "one"), ("message", "two"), ("message", "three"), ("subscribed", None)]
    assert [e["seq"] for e in replay[:3]] == [seen["seq"] + 1, seen["seq"] + 2, seen["seq"] + 3]
    assert await socket.receive_nothing(timeout=0.5)
    await post(teacher, conversation_4b, "live again")
    assert (await receive_until(socket, "message"))[-1]["body"] == "live again"
    await socket.disconnect()
