"""Group commit: several messages to one conversation stored with one transaction.

A busy conversation's sends are written together (messaging.send.post_messages, fed by the
consumer's PostWriter). Each message must still be checked on its own, get its own outcome and
its own consecutive seq and archive record, and a refused or retried one must not disturb the
others.
"""

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.core.exceptions import PermissionDenied, ValidationError
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import User
from archive.chain import verify
from archive.models import Record
from messaging.actions import send
from messaging.consumers import ChatConsumer
from messaging.models import Conversation, Event, Message
from tests.messaging.test_actions import RecordingHub
from tests.messaging.test_channels import big_group  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def recording_hub(monkeypatch: pytest.MonkeyPatch) -> RecordingHub:
    from messaging import hub

    recorder = RecordingHub()
    monkeypatch.setattr(hub, "get_hub", lambda: recorder)
    return recorder


# post_messages answers each draft with a (message, created) pair or the error that refused it;
# the tests know which by position, so their outcome lists are typed list[Any].
def draft(sender: User, body: str, **kwargs: Any) -> send.Draft:
    return send.Draft(sender, body, client_id=kwargs.pop("client_id", uuid.uuid4()), **kwargs)


def test_a_batch_stores_every_message_in_order_with_its_own_seq_and_record(
    conversation_4b: Conversation, teacher: User, parent: User, recording_hub: RecordingHub,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        outcomes: list[Any] = send.post_messages(conversation_4b, [
            draft(teacher, "Trip on Friday"), draft(parent, "Which bus?"),
            draft(teacher, "The 8:15 one"),
        ])
    messages = [message for message, created in outcomes if created]
    assert [(m.seq, m.sender, m.body) for m in messages] == [
        (1, teacher, "Trip on Friday"), (2, parent, "Which bus?"), (3, teacher, "The 8:15 one")]
    assert list(Event.objects.order_by("seq").values_list("seq", "message__body")) == [
        (1, "Trip on Friday"), (2, "Which bus?"), (3, "The 8:15 one")]
    records = Record.objects.filter(scope=conversation_4b.scope, kind="message.posted")
    assert [(r.message_id, r.actor_id) for r in records.order_by("position")] == [
        (m.pk, m.sender_id) for m in messages]
    assert [r.payload.content["body"] for r in records.order_by("position")] == [
        "Trip on Friday", "Which bus?", "The 8:15 one"]
    assert verify().intact
    # Published after the commit, one event per message, in seq order.
    assert [event["seq"] for _conv, event in recording_hub.published] == [1, 2, 3]
    conversation_4b.refresh_from_db()
    assert conversation_4b.last_seq == 3


def test_a_refused_message_does_not_stop_the_others_or_leave_a_seq_gap(
    conversation_4b: Conversation, teacher: User, parent: User, parent_5a: User, recording_hub: RecordingHub
) -> None:
    outcomes: list[Any] = send.post_messages(conversation_4b, [
        draft(teacher, "first"), draft(parent_5a, "not a member"), draft(parent, "   "),
        draft(parent, "x" * 100_000), draft(parent, "last", urgent=True), draft(parent, "second"),
    ])
    assert isinstance(outcomes[1], PermissionDenied)
    assert isinstance(outcomes[2], ValidationError) and outcomes[2].code == "empty"
    assert isinstance(outcomes[3], ValidationError) and outcomes[3].code == "too_long"
    assert isinstance(outcomes[4], PermissionDenied)  # parents cannot mark urgent
    assert [(outcomes[i][0].seq, outcomes[i][0].body) for i in (0, 5)] == [
        (1, "first"), (2, "second")]
    conversation_4b.refresh_from_db()
    assert conversation_4b.last_seq == 2
    assert Record.objects.filter(kind="message.posted").count() == 2


def test_a_retry_in_the_same_batch_or_a_later_one_stores_one_message(
    conversation_4b: Conversation, teacher: User, recording_hub: RecordingHub,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    cid = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        outcomes: list[Any] = send.post_messages(conversation_4b, [
            draft(teacher, "once", client_id=cid), draft(teacher, "once", client_id=cid),
            draft(teacher, "other")])
    (first, created_first), (again, created_again), (other, _c) = outcomes
    assert created_first and not created_again and again.pk == first.pk
    assert (first.seq, other.seq) == (1, 2)
    later: list[Any] = send.post_messages(conversation_4b, [draft(teacher, "once", client_id=cid),
                                                    draft(teacher, "third")])
    assert (later[0][0].pk, later[0][1]) == (first.pk, False)
    assert later[1][0].seq == 3
    assert Message.objects.filter(client_id=cid).count() == 1
    conversation_4b.refresh_from_db()
    assert conversation_4b.last_seq == 3
    assert [event["seq"] for _conv, event in recording_hub.published] == [1, 2]
    assert verify().intact


def test_the_same_client_id_from_two_senders_is_two_messages(conversation_4b: Conversation, teacher: User,
                                                             parent: User) -> None:
    cid = uuid.uuid4()
    outcomes: list[Any] = send.post_messages(conversation_4b, [draft(teacher, "a", client_id=cid),
                                                       draft(parent, "b", client_id=cid)])
    assert [(m.seq, created) for m, created in outcomes] == [(1, True), (2, True)]


def test_an_unconfirmed_message_to_a_large_group_is_refused_alone(
    big_group: Conversation, teacher: User, parent: User  # noqa: F811
) -> None:
    outcomes: list[Any] = send.post_messages(big_group, [
        draft(parent, "to everyone?"), draft(teacher, "confirmed", confirm=True)])
    assert isinstance(outcomes[0], send.ConfirmationRequired)
    assert outcomes[0].recipients == 16
    assert outcomes[1][0].seq == 1
    big_group.refresh_from_db()
    assert big_group.last_seq == 1


def test_two_copies_of_an_unconfirmed_message_are_both_refused(
    big_group: Conversation, parent: User  # noqa: F811
) -> None:
    cid = uuid.uuid4()
    outcomes: list[Any] = send.post_messages(big_group, [
        draft(parent, "to everyone?", client_id=cid), draft(parent, "to everyone?", client_id=cid)])
    assert all(isinstance(o, send.ConfirmationRequired) for o in outcomes)
    assert outcomes[1].recipients == 16
    big_group.refresh_from_db()
    assert big_group.last_seq == 0
    assert not Message.objects.exists()


@pytest.mark.django_db(transaction=True)
async def test_sends_that_arrive_together_are_all_acked_stored_and_delivered_once_in_order(
    conversation_4b: Conversation, teacher: User, parent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch_sizes: list[int] = []
    real_post_messages = send.post_messages

    def spy(conversation: Conversation, drafts: Sequence[send.Draft]) -> list[send.Outcome]:
        batch_sizes.append(len(drafts))
        return real_post_messages(conversation, drafts)

    monkeypatch.setattr(send, "post_messages", spy)
    async def connect(user: User) -> WebsocketCommunicator:
        communicator = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/")
        communicator.scope["user"] = user
        assert (await communicator.connect())[0]
        assert (await communicator.receive_json_from())["type"] == "hello"
        await communicator.send_json_to(
            {"type": "subscribe", "conversation": conversation_4b.pk, "after_seq": 0})
        while (await communicator.receive_json_from(timeout=5))["type"] != "subscribed":
            pass
        return communicator

    reader = await connect(parent)
    senders = [await connect(teacher), await connect(parent)]
    sent: dict[str, str] = {}
    for n in range(30):  # fired without waiting for acks: they queue up behind each other
        client_id = str(uuid.uuid4())
        sent[client_id] = f"message {n}"
        await senders[n % 2].send_json_to({
            "type": "send", "conversation": conversation_4b.pk, "client_id": client_id,
            "body": sent[client_id]})
    acks: dict[str, int] = {}
    for communicator in senders:  # 15 sends each; the other socket's messages arrive too
        mine = 0
        while mine < 15:
            event = await communicator.receive_json_from(timeout=5)
            if event["type"] == "ack":
                acks[event["client_id"]] = event["seq"]
                mine += 1
    assert sorted(acks.values()) == list(range(1, 31))
    delivered: list[dict[str, Any]] = []
    while len(delivered) < 30:
        event = await asyncio.wait_for(reader.receive_json_from(timeout=5), 6)
        if event["type"] == "message":
            delivered.append(event)
    assert [e["seq"] for e in delivered] == list(range(1, 31))
    assert {e["client_id"]: e["seq"] for e in delivered} == acks
    assert await reader.receive_nothing(timeout=0.3)
    # They were written in fewer transactions than messages: sends queued behind a write share
    # the next one.
    assert sum(batch_sizes) == 30 and max(batch_sizes) > 1
    for communicator in [reader, *senders]:
        await communicator.disconnect()
