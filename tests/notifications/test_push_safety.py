"""What a push may carry, and where it may go, at the moment it is sent: a retry reads the
message and the school's policy again (never a copy of the text kept in the queue), a push
service's redirect is not followed, and a push service the allow-list no longer names gets
nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from accounts.models import Role, School, User
from messaging.actions import edit, moderation, sensitive
from messaging.models import Conversation, Message
from notifications import tasks
from notifications.models import Device
from tests.factories import UserFactory
from tests.notifications.conftest import Held, post_and_publish, register
from tests.notifications.push_service import PushService

pytestmark = pytest.mark.django_db

TEXT = "Emma was very upset after the meeting with her father"


@pytest.fixture
def lead(school: School) -> User:
    return UserFactory(username="lead", display_name="Mr Veilig", role=Role.SAFEGUARDING,
                       school=school)


@pytest.fixture
def excerpts(school: School) -> School:
    school.lock_screen_text = "excerpt"
    school.save()
    return school


def first_try_fails(push_service: PushService, parent: User, teacher: User,
                    conversation: Conversation, queued: Held) -> tuple[Any, Message]:
    phone, _device = register(push_service, parent)
    push_service.answer(phone, 500)
    message = post_and_publish(teacher, conversation, TEXT)
    assert push_service.for_device(phone) == []
    assert len(queued.jobs) == 1
    # The queue holds ids, never what the lock screen would show.
    assert "upset" not in json.dumps(queued.jobs, default=str)
    return phone, message


def test_the_retry_of_a_message_the_school_removed_sends_nothing(
        push_service: PushService, at: Callable[[datetime], None], excerpts: School,
        conversation_4b: Conversation, teacher: User, parent: User, lead: User,
        queued: Held) -> None:
    phone, message = first_try_fails(push_service, parent, teacher, conversation_4b, queued)
    moderation.remove_message(by=lead, message=message, reason="About a family matter")
    queued.run()
    assert push_service.for_device(phone) == []
    assert push_service.scripted[phone.token] == []  # only the failed first try reached it


def test_the_retry_of_a_retracted_message_sends_nothing(
        push_service: PushService, at: Callable[[datetime], None], excerpts: School,
        conversation_4b: Conversation, teacher: User, parent: User,
        queued: Held) -> None:
    phone, message = first_try_fails(push_service, parent, teacher, conversation_4b, queued)
    edit.retract_message(teacher, message)
    queued.run()
    assert push_service.for_device(phone) == []


def test_the_retry_of_a_message_marked_sensitive_since_sends_nothing(
        push_service: PushService, at: Callable[[datetime], None], excerpts: School,
        conversation_4b: Conversation, teacher: User, parent: User,
        queued: Held) -> None:
    phone, message = first_try_fails(push_service, parent, teacher, conversation_4b, queued)
    sensitive.mark_sensitive(teacher, message, "family")
    queued.run()
    assert push_service.for_device(phone) == []


def test_a_retry_is_rendered_under_the_policy_of_its_moment(
        push_service: PushService, at: Callable[[datetime], None], excerpts: School,
        conversation_4b: Conversation, teacher: User, parent: User,
        queued: Held) -> None:
    phone, _message = first_try_fails(push_service, parent, teacher, conversation_4b, queued)
    excerpts.lock_screen_text = "sender"
    excerpts.save()
    queued.run()
    [got] = push_service.for_device(phone)
    assert got.payload["body"] == "Ms de Vries"
    assert "upset" not in str(got.payload)


def test_an_untouched_message_is_still_retried_with_its_excerpt(
        push_service: PushService, at: Callable[[datetime], None], excerpts: School,
        conversation_4b: Conversation, teacher: User, parent: User,
        queued: Held) -> None:
    phone, _message = first_try_fails(push_service, parent, teacher, conversation_4b, queued)
    queued.run()
    [got] = push_service.for_device(phone)
    assert got.payload["body"] == f"Ms de Vries: {TEXT}"
    assert Device.objects.get(endpoint=phone.endpoint).last_success_at is not None


def test_a_message_sent_as_sensitive_is_retried_with_the_sender_only(
        push_service: PushService, at: Callable[[datetime], None], excerpts: School,
        conversation_4b: Conversation, teacher: User, parent: User,
        queued: Held) -> None:
    phone, _device = register(push_service, parent)
    push_service.answer(phone, 500)
    post_and_publish(teacher, conversation_4b, TEXT, sensitive="health")
    queued.run()
    [got] = push_service.for_device(phone)
    assert got.payload["body"] == "Ms de Vries"


def test_a_redirect_from_the_push_service_is_not_followed(
        push_service: PushService, at: Callable[[datetime], None], excerpts: School,
        conversation_4b: Conversation, teacher: User, parent: User,
        queued: Held) -> None:
    elsewhere = PushService().start()  # not on SCHOOLCHAT_PUSH_SERVICES
    try:
        target = elsewhere.new_device()
        phone, device = register(push_service, parent)
        push_service.answer(phone, 307, location=target.endpoint)
        post_and_publish(teacher, conversation_4b, TEXT)
        assert elsewhere.connections == set()
        assert elsewhere.received == [] and elsewhere.refused == []
        # Not a busy service: no retry; not a gone subscription: the device stays.
        assert queued.jobs == []
        assert Device.objects.filter(pk=device.pk, last_success_at__isnull=True).exists()
        post_and_publish(teacher, conversation_4b, "Next week's trip")
        assert len(push_service.for_device(phone)) == 1
    finally:
        elsewhere.stop()


def test_a_narrowed_allow_list_stops_the_pushes_to_devices_registered_under_the_old_one(
        push_service: PushService, at: Callable[[datetime], None], settings: Settings,
        conversation_4b: Conversation, teacher: User, parent: User,
        queued: Held) -> None:
    phone, device = register(push_service, parent)
    settings.SCHOOLCHAT_PUSH_SERVICES = ["https://push.services.example"]
    post_and_publish(teacher, conversation_4b, "Hello 4B")
    assert push_service.connections == set()
    assert queued.jobs == []  # not tried again either
    assert Device.objects.filter(pk=device.pk).exists()  # kept: the page says why it is silent
    settings.SCHOOLCHAT_PUSH_SERVICES = [push_service.origin]
    post_and_publish(teacher, conversation_4b, "Hello again")
    assert len(push_service.for_device(phone)) == 1


def test_a_retry_to_a_push_service_dropped_from_the_allow_list_sends_nothing(
        push_service: PushService, at: Callable[[datetime], None], settings: Settings,
        conversation_4b: Conversation, teacher: User, parent: User,
        queued: Held) -> None:
    phone, _message = first_try_fails(push_service, parent, teacher, conversation_4b, queued)
    settings.SCHOOLCHAT_PUSH_SERVICES = ["https://push.services.example"]
    queued.run()
    assert push_service.for_device(phone) == []
    assert push_service.scripted[phone.token] == []


def test_a_retry_queued_with_its_payload_by_an_earlier_release_is_dropped(
        push_service: PushService, at: Callable[[datetime], None], excerpts: School,
        conversation_4b: Conversation, teacher: User, parent: User, lead: User) -> None:
    phone, device = register(push_service, parent)
    message = post_and_publish(teacher, conversation_4b, TEXT)
    push_service.received.clear()
    moderation.remove_message(by=lead, message=message, reason="About a family matter")
    # The shape such a job had: the rendered payload, with the text the school removed.
    body = {"conversation": conversation_4b.pk, "title": "4B class group",
            "body": f"Ms de Vries: {TEXT}", "tag": f"conversation-{conversation_4b.pk}",
            "url": f"/c/{conversation_4b.pk}/", "urgent": False}
    tasks.deliver.apply_async((device.pk, body), {"urgency": "normal",
                                                  "topic": f"conversation-{conversation_4b.pk}",
                                                  "seq": message.seq})
    assert push_service.for_device(phone) == []
