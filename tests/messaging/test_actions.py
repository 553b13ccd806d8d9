import uuid
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import User
from archive.models import Payload, Record
from messaging import hub
from messaging.actions import membership as membership_actions
from messaging.actions import send
from messaging.models import Conversation, Message

pytestmark = pytest.mark.django_db


class RecordingHub(hub.LocalHub):
    def __init__(self) -> None:
        super().__init__()
        self.published: list[tuple[int, dict[str, Any]]] = []
        self.user_events: list[tuple[int, dict[str, Any]]] = []

    def publish(self, conversation_id: int, event: dict[str, Any]) -> None:
        self.published.append((conversation_id, event))

    def publish_user(self, user_id: int, event: dict[str, Any]) -> None:
        self.user_events.append((user_id, event))


@pytest.fixture
def recording_hub(monkeypatch: pytest.MonkeyPatch) -> RecordingHub:
    recorder = RecordingHub()
    monkeypatch.setattr(hub, "get_hub", lambda: recorder)
    return recorder


def test_messages_take_consecutive_seq_per_conversation(conversation_4b: Conversation,
                                                        conversation_5a: Conversation, teacher: User,
                                                        parent: User, parent_5a: User) -> None:
    first, _ = send.post_message(teacher, conversation_4b, "one")
    second, _ = send.post_message(parent, conversation_4b, "two")
    other, _ = send.post_message(parent_5a, conversation_5a, "elsewhere")
    assert (first.seq, second.seq) == (1, 2)
    assert other.seq == 1
    conversation_4b.refresh_from_db()
    assert conversation_4b.last_seq == 2


def test_a_retry_with_the_same_client_id_stores_one_message(conversation_4b: Conversation,
                                                            teacher: User) -> None:
    client_id = uuid.uuid4()
    first, created = send.post_message(teacher, conversation_4b, "hello", client_id=client_id)
    again, created_again = send.post_message(teacher, conversation_4b, "hello",
                                                client_id=client_id)
    assert created and not created_again
    assert again.pk == first.pk
    assert Message.objects.filter(conversation=conversation_4b).count() == 1


def test_the_same_client_id_from_another_sender_is_a_different_message(conversation_4b: Conversation,
                                                                       teacher: User, parent: User) -> None:
    client_id = uuid.uuid4()
    send.post_message(teacher, conversation_4b, "a", client_id=client_id)
    _, created = send.post_message(parent, conversation_4b, "b", client_id=client_id)
    assert created


def test_posting_archives_the_message_in_the_conversation_chain(conversation_4b: Conversation,
                                                                teacher: User) -> None:
    _message, _ = send.post_message(teacher, conversation_4b, "Swimming on Tuesday")
    record = Record.objects.filter(scope=conversation_4b.scope, kind="message.posted").get()
    assert record.actor_id == teacher.pk
    assert teacher.pk in record.subject_user_ids
    assert Payload.objects.get(record=record).content["body"] == "Swimming on Tuesday"
    previous = Record.objects.get(scope=conversation_4b.scope, position=record.position - 1)
    assert record.prev_hash == previous.hash


def test_the_event_is_published_only_after_commit(
        conversation_4b: Conversation, teacher: User, recording_hub: RecordingHub,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message, _ = send.post_message(teacher, conversation_4b, "after commit")
    assert recording_hub.published == []
    for callback in callbacks:
        callback()
    assert recording_hub.published == [
        (conversation_4b.pk, {
            "type": "message", "conversation": conversation_4b.pk, "seq": message.seq,
            "id": message.pk, "client_id": str(message.client_id),
            "sender": {"id": teacher.pk, "name": "Ms de Vries", "role": "teacher"},
            "body": "after commit", "created_at": message.created_at.isoformat(),
            "reply_to": None, "edited": False, "retracted": False, "removed": False,
            "urgent": False,
            "ack_requested": False, "pinned": False, "sensitive": "", "links": True,
            "card": "", "attachments": [], "mentions": [],
        })
    ]


def test_a_failed_transaction_publishes_nothing_and_stores_nothing(
    conversation_4b: Conversation, teacher: User, recording_hub: RecordingHub,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    def broken_archive(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    # Every archive write (one record or a batch) goes through record_many.
    monkeypatch.setattr("archive.chain.record_many", broken_archive)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        send.post_message(teacher, conversation_4b, "lost?")
    assert not Message.objects.filter(conversation=conversation_4b).exists()
    assert recording_hub.published == []


@pytest.mark.parametrize("body", ["", "   \n ", None, 42, ["list"]])
def test_empty_or_non_text_bodies_are_refused(conversation_4b: Conversation, teacher: User,
                                              body: object) -> None:
    with pytest.raises(ValidationError):
        send.post_message(teacher, conversation_4b, body)
    assert not Message.objects.exists()


@override_settings(SCHOOLCHAT_MESSAGE_MAX_CHARS=10)
def test_a_too_long_message_is_refused_with_its_length(conversation_4b: Conversation, teacher: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        send.post_message(teacher, conversation_4b, "x" * 11)
    assert "11" in excinfo.value.messages[0] and "10" in excinfo.value.messages[0]
    assert excinfo.value.code == "too_long"


def test_a_non_member_cannot_post(conversation_4b: Conversation, parent_5a: User) -> None:
    with pytest.raises(PermissionDenied):
        send.post_message(parent_5a, conversation_4b, "let me in")


def test_parents_read_but_do_not_post_in_announcements(announcements: Conversation, teacher: User,
                                                       parent: User) -> None:
    send.post_message(teacher, announcements, "School closed Monday")
    with pytest.raises(PermissionDenied):
        send.post_message(parent, announcements, "reply-all")


def test_ending_a_membership_revokes_access_and_keeps_history(
        conversation_4b: Conversation, parent: User, admin: User, recording_hub: RecordingHub,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    from accounts.access import can

    with django_capture_on_commit_callbacks(execute=True):
        assert membership_actions.end_membership(conversation_4b, parent, actor=admin)
    assert not can(parent, "conversation.read", conversation_4b)
    assert not can(parent, "conversation.post", conversation_4b)
    membership = conversation_4b.memberships.get(user=parent)
    assert membership.ended_at is not None
    assert recording_hub.user_events == [
        (parent.pk, {"type": "_membership", "action": "removed",
                     "conversation": conversation_4b.pk})
    ]
    assert Record.objects.filter(scope=conversation_4b.scope, kind="member.removed").count() == 1
    # Ending twice is a no-op, not an error.
    assert not membership_actions.end_membership(conversation_4b, parent, actor=admin)


def test_adding_a_member_twice_keeps_one_open_period(conversation_4b: Conversation, parent: User,
                                                     admin: User) -> None:
    membership_actions.add_member(conversation_4b, parent, actor=admin)
    assert conversation_4b.memberships.filter(user=parent, ended_at__isnull=True).count() == 1
