"""Reactions over the websocket: a ``react`` frame is acked and every open page of the
conversation hears the new counts; what cannot be a reaction is refused in words and the socket
stays open; an outsider learns nothing, not even that the message exists."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import User
from messaging.actions import edit, send
from messaging.models import Conversation, Message, Reaction
from tests.messaging.test_consumer import connect, receive_until, subscribe

pytestmark = pytest.mark.django_db(transaction=True)


async def opened(user: User, conversation: Conversation) -> WebsocketCommunicator:
    """A page of ``user``'s with ``conversation`` open, past its backlog."""
    socket = await connect(user)
    await subscribe(socket, conversation)
    await receive_until(socket, "subscribed")
    return socket


async def answer(socket: WebsocketCommunicator, kinds: tuple[str, ...]) -> dict[str, Any]:
    """The first frame of one of ``kinds``; hints of others' doings in between are skipped."""
    while True:
        frame: dict[str, Any] = await socket.receive_json_from(timeout=5)
        if frame["type"] in kinds:
            return frame


async def react(socket: WebsocketCommunicator, message: Message, emoji: object) -> None:
    await socket.send_json_to({"type": "react", "conversation": message.conversation_id,
                               "id": message.pk, "emoji": emoji})


@pytest.fixture
def trip(conversation_4b: Conversation, teacher: User) -> Message:
    message, _ = send.post_message(teacher, conversation_4b, "The trip is on Friday")
    return message


async def test_a_reaction_is_acked_and_reaches_every_open_page_live(
        trip: Message, conversation_4b: Conversation, teacher: User, parent: User) -> None:
    anna = await opened(parent, conversation_4b)
    teachers_phone = await opened(teacher, conversation_4b)
    await react(anna, trip, "👍")
    hint = {"type": "reactions", "conversation": conversation_4b.pk, "id": trip.pk,
            "counts": {"👍": 1}, "user": parent.pk, "emoji": "👍"}
    # The reacting page hears both, in either order (the hint goes out on commit).
    assert sorted([await answer(anna, ("ack", "reactions", "error")) for _ in range(2)],
                  key=lambda frame: frame["type"]) == [
        {"type": "ack", "action": "react", "conversation": conversation_4b.pk, "id": trip.pk},
        hint]
    assert await answer(teachers_phone, ("reactions",)) == hint
    # The same again takes it back, on both pages.
    await react(anna, trip, "👍")
    gone = hint | {"counts": {}, "emoji": ""}
    assert sorted([await answer(anna, ("ack", "reactions", "error")) for _ in range(2)],
                  key=lambda frame: frame["type"])[1] == gone
    assert await answer(teachers_phone, ("reactions",)) == gone
    assert not await database_sync_to_async(Reaction.objects.exists)()
    for socket in (anna, teachers_phone):
        await socket.disconnect()


@pytest.mark.parametrize(("emoji", "code", "text"), [
    ("🍕", "invalid", "Choose one of these reactions: 👍 ❤️ 😂 😮 😢 🙏"),
    (5, "malformed", "react needs conversation, id and an emoji."),
    ({"emoji": "👍"}, "malformed", "react needs conversation, id and an emoji."),
])
async def test_what_is_not_a_reaction_is_refused_in_words_and_the_socket_stays_open(
        trip: Message, conversation_4b: Conversation, parent: User, emoji: object, code: str,
        text: str) -> None:
    anna = await opened(parent, conversation_4b)
    await react(anna, trip, emoji)
    refusal = await answer(anna, ("ack", "error"))
    assert refusal["type"] == "error" and refusal["code"] == code
    assert refusal["message"] == text
    if code == "invalid":
        assert refusal["id"] == trip.pk and refusal["conversation"] == conversation_4b.pk
    # Still open: a good one goes through.
    await react(anna, trip, "😂")
    assert (await answer(anna, ("ack", "error")))["type"] == "ack"
    assert await database_sync_to_async(
        lambda: list(Reaction.objects.values_list("emoji", flat=True)))() == ["😂"]
    await anna.disconnect()


async def test_an_outsider_is_told_the_message_is_not_there(
        trip: Message, conversation_4b: Conversation, parent: User, parent_5a: User,
        teacher: User) -> None:
    anna = await opened(parent, conversation_4b)
    lucia = await connect(parent_5a)
    await react(lucia, trip, "👍")
    assert await answer(lucia, ("ack", "error")) == {
        "type": "error", "code": "not_found", "message": "No such message.",
        "conversation": conversation_4b.pk, "id": trip.pk}
    # The same answer for a message that does not exist.
    await lucia.send_json_to({"type": "react", "conversation": conversation_4b.pk,
                              "id": 999_999, "emoji": "👍"})
    missing = await answer(lucia, ("ack", "error"))
    assert (missing["code"], missing["message"]) == ("not_found", "No such message.")
    assert await anna.receive_nothing(timeout=0.3)  # nobody heard of anything
    assert not await database_sync_to_async(Reaction.objects.exists)()
    for socket in (anna, lucia):
        await socket.disconnect()


async def test_a_retraction_clears_the_chips_on_every_open_page(
        trip: Message, conversation_4b: Conversation, teacher: User, parent: User) -> None:
    anna = await opened(parent, conversation_4b)
    await react(anna, trip, "❤️")
    await answer(anna, ("reactions",))
    await database_sync_to_async(edit.retract_message)(teacher, trip)
    cleared = await answer(anna, ("reactions",))
    assert cleared == {"type": "reactions", "conversation": conversation_4b.pk, "id": trip.pk,
                       "counts": {}}
    assert (await answer(anna, ("retracted",)))["id"] == trip.pk
    await react(anna, trip, "❤️")
    refused = await answer(anna, ("ack", "error"))
    assert (refused["type"], refused["code"], refused["message"]) == (
        "error", "forbidden", "This message was retracted.")
    await anna.disconnect()
