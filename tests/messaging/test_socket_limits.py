"""Frames a browser never sends: too large, or nested too deep. Each is answered with an error
frame, the socket stays open, and nothing is logged as an error."""

import logging

import pytest
from channels.testing import WebsocketCommunicator
from pytest_django.fixtures import Settings

from accounts.models import User
from messaging.models import Conversation
from tests.messaging.test_consumer import connect

pytestmark = pytest.mark.django_db(transaction=True)


async def still_open(communicator: WebsocketCommunicator) -> None:
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}


@pytest.mark.parametrize(("frame", "code", "text"), [
    ("[" * 100_000, "too_large", "The frame is too large."),
    ("[" * 60_000, "malformed", "Not valid JSON."),
    ('{"a":' * 12_000, "malformed", "Not valid JSON."),
    ("[" * 100 + "]" * 100, "malformed", "Not valid JSON."),
    ('{"type": "send", "body": ' + "[" * 40 + "]" * 40 + "}", "malformed", "Not valid JSON."),
])
async def test_deeply_nested_json_is_refused_and_the_socket_stays_open(parent: User,
                                                                       caplog: pytest.LogCaptureFixture,
                                                                       frame: str, code: str,
                                                                       text: str) -> None:
    communicator = await connect(parent)
    with caplog.at_level(logging.WARNING):
        await communicator.send_to(text_data=frame)
        answer = await communicator.receive_json_from()
        assert answer == {"type": "error", "code": code, "message": text}
        await still_open(communicator)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    await communicator.disconnect()


async def test_brackets_inside_strings_do_not_count_as_nesting(parent: User) -> None:
    communicator = await connect(parent)
    await communicator.send_json_to({"type": "pong?", "note": "[" * 5000 + "{" * 5000})
    answer = await communicator.receive_json_from()
    assert answer["code"] == "unknown_type"
    await communicator.disconnect()


async def test_a_frame_over_the_size_limit_is_refused(parent: User, settings: Settings,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    settings.SCHOOLCHAT_SOCKET_FRAME_BYTES = 65_536
    communicator = await connect(parent)
    with caplog.at_level(logging.WARNING):
        await communicator.send_json_to({"type": "send", "body": "x" * 70_000})
        answer = await communicator.receive_json_from()
        assert answer["type"] == "error" and answer["code"] == "too_large"
        # Multi-byte text counts in bytes: 30,000 characters of 3 bytes each is too large.
        await communicator.send_json_to({"type": "send", "body": "€" * 30_000},)
        answer = await communicator.receive_json_from()
        assert answer["code"] == "too_large"
        await still_open(communicator)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    await communicator.disconnect()


async def test_a_long_message_with_attachments_fits(parent: User, conversation_4b: Conversation) -> None:
    communicator = await connect(parent)
    await communicator.send_json_to({
        "type": "send", "conversation": conversation_4b.pk, "body": "é" * 4000,
        "client_id": "3f0c2a4e-5b7d-4c1e-9a43-1e2f3a4b5c6d", "attachments": ["t" * 43] * 10})
    answer = await communicator.receive_json_from()
    assert answer["code"] not in ("too_large", "malformed")
    await communicator.disconnect()
