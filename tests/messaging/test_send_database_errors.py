"""A send that meets a broken database connection: tried once more inside the server, else
refused with a retryable error that names the send; the socket stays open either way."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import OperationalError
from prometheus_client import REGISTRY

from accounts.models import User
from messaging import consumers, socket_db
from messaging.actions import send
from messaging.models import Conversation, Message
from tests.messaging.test_consumer import connect, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


def failing(times: int) -> Callable[..., Any]:
    """``post_messages`` that fails as a restarted PostgreSQL makes it fail, ``times`` times."""
    real = send.post_messages
    calls = {"n": 0}

    def post_messages(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= times:
            raise OperationalError("terminating connection due to administrator command")
        return real(*args, **kwargs)

    return post_messages


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def send_frame(conversation: Conversation, client_id: str, body: str) -> dict[str, Any]:
    return {"type": "send", "conversation": conversation.pk, "client_id": client_id, "body": body}


async def still_open(communicator: WebsocketCommunicator) -> bool:
    await communicator.send_json_to({"type": "ping"})
    return bool((await receive_until(communicator, "pong"))[-1]["type"] == "pong")


async def test_a_send_that_meets_a_broken_connection_is_stored_once_and_acked(
        monkeypatch: pytest.MonkeyPatch, conversation_4b: Conversation, teacher: User) -> None:
    monkeypatch.setattr(send, "post_messages", failing(1))
    retries = counted("schoolchat_send_retries_total")
    communicator = await connect(teacher)
    client_id = str(uuid.uuid4())
    await communicator.send_json_to(send_frame(conversation_4b, client_id, "after the restart"))
    answers = await receive_until(communicator, "ack")
    assert [a for a in answers if a["type"] == "error"] == []
    assert answers[-1]["client_id"] == client_id
    stored = await database_sync_to_async(list)(
        Message.objects.filter(conversation=conversation_4b).values_list("client_id", "body"))
    assert stored == [(uuid.UUID(client_id), "after the restart")]
    assert counted("schoolchat_send_retries_total") == retries + 1
    await communicator.disconnect()


async def test_a_send_the_database_keeps_failing_is_refused_as_retryable_and_the_resend_works(
        monkeypatch: pytest.MonkeyPatch, conversation_4b: Conversation, teacher: User) -> None:
    monkeypatch.setattr(send, "post_messages", failing(2))
    communicator = await connect(teacher)
    client_id = str(uuid.uuid4())
    await communicator.send_json_to(send_frame(conversation_4b, client_id, "twice unlucky"))
    refused = (await receive_until(communicator, "error"))[-1]
    assert refused["code"] == "unavailable"
    assert refused["client_id"] == client_id and refused["conversation"] == conversation_4b.pk
    assert refused["retry_after"] >= 1
    # No close (1011 is not a code the websocket stack sends): the socket carries the resend.
    assert await still_open(communicator)
    await communicator.send_json_to(send_frame(conversation_4b, client_id, "twice unlucky"))
    ack = (await receive_until(communicator, "ack"))[-1]
    assert ack["client_id"] == client_id
    assert await database_sync_to_async(
        Message.objects.filter(conversation=conversation_4b).count)() == 1
    await communicator.disconnect()


async def test_a_parent_refused_for_an_outside_conversation_is_not_told_unavailable(
        monkeypatch: pytest.MonkeyPatch, conversation_5a: Conversation, parent: User) -> None:
    """A database failure never stands in for a permission answer: outsiders still get 404's
    answer, before the writer stores anything."""
    monkeypatch.setattr(send, "post_messages", failing(5))
    communicator = await connect(parent)
    client_id = str(uuid.uuid4())
    await communicator.send_json_to(send_frame(conversation_5a, client_id, "not mine"))
    refused = (await receive_until(communicator, "error"))[-1]
    assert refused["code"] == "not_found"
    await communicator.disconnect()


def test_every_close_code_the_server_uses_is_one_the_websocket_stack_can_send() -> None:
    codes = {name: value for module in (consumers, socket_db)
             for name, value in vars(module).items() if name.startswith("CLOSE_")}
    assert set(codes) == {"CLOSE_TOO_SLOW", "CLOSE_UNAUTHENTICATED", "CLOSE_DEACTIVATED"}
    assert all(code == 1000 or 3000 <= code <= 4999 for code in codes.values()), codes
