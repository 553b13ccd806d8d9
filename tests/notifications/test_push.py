"""A message reaches each member's devices once, through a real (local) push service, with
nothing on the lock screen the school has not allowed, and only when the person wants it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.actions.leavers import process_leaver
from accounts.models import Role, School, User
from messaging.actions import membership
from messaging.models import Conversation
from notifications import actions
from notifications.models import Device
from tests.factories import UserFactory
from tests.notifications.conftest import SATURDAY_NOON, WEEKNIGHT, post_and_publish, register
from tests.notifications.push_service import PushService

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_parent(school: School, conversation_4b: Conversation, admin: User) -> User:
    user = UserFactory(username="parent2", display_name="Bram Bakker", role=Role.PARENT,
                       school=school)
    membership.add_member(conversation_4b, user, actor=admin)
    return user


def test_each_member_gets_one_push_with_the_conversation_and_no_text(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User, second_parent: User) -> None:
    phone, _ = register(push_service, parent)
    laptop, _ = register(push_service, parent)
    other, _ = register(push_service, second_parent)
    message = post_and_publish(teacher, conversation_4b, "Emma was very brave at the dentist")

    assert push_service.refused == []
    for fake in (phone, laptop, other):
        [got] = push_service.for_device(fake)
        assert got.payload["conversation"] == conversation_4b.pk
        assert got.payload["title"] == "4B class group"
        assert got.payload["body"] == "Ms de Vries"
        assert got.payload["url"] == f"/c/{conversation_4b.pk}/"
        assert got.payload["tag"] == f"conversation-{conversation_4b.pk}"
        assert "dentist" not in str(got.payload)
        assert got.headers["topic"] == f"conversation-{conversation_4b.pk}"
        assert got.headers["urgency"] == "normal"
        assert int(got.headers["ttl"]) > 0
        assert got.claims["sub"] == "mailto:office@school.invalid"
    assert message.pk
    assert Device.objects.filter(user=parent, last_success_at__isnull=False).count() == 2


def test_the_excerpt_policy_shows_the_start_of_the_message(
        push_service: PushService, at: Callable[[datetime], None], school: School,
        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    school.lock_screen_text = "excerpt"
    school.save()
    phone, _ = register(push_service, parent)
    post_and_publish(teacher, conversation_4b, "Trip tomorrow: bring a packed lunch")
    [got] = push_service.for_device(phone)
    assert got.payload["body"] == "Ms de Vries: Trip tomorrow: bring a packed lunch"


def test_the_sender_and_outsiders_get_nothing(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        conversation_5a: Conversation, teacher: User, parent: User, parent_5a: User) -> None:
    teachers_phone, _ = register(push_service, teacher)
    outsider, _ = register(push_service, parent_5a)
    parents_phone, _ = register(push_service, parent)
    post_and_publish(teacher, conversation_4b, "Hello 4B")
    assert push_service.for_device(teachers_phone) == []
    assert push_service.for_device(outsider) == []
    assert len(push_service.for_device(parents_phone)) == 1


def test_a_muted_conversation_sends_nothing_until_unmuted(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User) -> None:
    phone, _ = register(push_service, parent)
    actions.mute(parent, conversation_4b)
    post_and_publish(teacher, conversation_4b, "First")
    assert push_service.for_device(phone) == []
    actions.unmute(parent, conversation_4b)
    post_and_publish(teacher, conversation_4b, "Second")
    assert len(push_service.for_device(phone)) == 1


def test_parents_quiet_night_and_the_urgent_override(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User) -> None:
    phone, _ = register(push_service, parent)
    at(WEEKNIGHT)
    post_and_publish(teacher, conversation_4b, "Reminder for tomorrow")
    assert push_service.for_device(phone) == []
    post_and_publish(teacher, conversation_4b, "School is closed tomorrow", urgent=True)
    [got] = push_service.for_device(phone)
    assert got.headers["urgency"] == "high"


def test_staff_hear_nothing_outside_office_hours(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User) -> None:
    desk, _ = register(push_service, teacher)
    at(SATURDAY_NOON)  # parents are awake, staff are off
    post_and_publish(parent, conversation_4b, "A question about Monday")
    assert push_service.for_device(desk) == []
    at(WEEKNIGHT.replace(day=3, hour=9))  # Thursday 09:00
    post_and_publish(parent, conversation_4b, "Another question")
    assert len(push_service.for_device(desk)) == 1


def test_a_gone_subscription_is_removed(push_service: PushService, at: Callable[[datetime], None],
                                        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    phone, device = register(push_service, parent)
    push_service.answer(phone, 410)
    post_and_publish(teacher, conversation_4b, "Hello")
    assert not Device.objects.filter(pk=device.pk).exists()
    post_and_publish(teacher, conversation_4b, "Hello again")
    assert push_service.for_device(phone) == []


def test_a_busy_or_failing_push_service_is_retried(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User, monkeypatch: pytest.MonkeyPatch) -> None:
    from schoolchat.celery import app

    # As a worker does: a retry is a new try of the job (in-process here, without the wait).
    app.conf.task_eager_propagates = False  # the autouse fixture sets it back
    phone, device = register(push_service, parent)
    push_service.answer(phone, 429, 500)
    post_and_publish(teacher, conversation_4b, "Hello")
    assert len(push_service.for_device(phone)) == 1
    assert push_service.scripted[phone.token] == []  # both refusals were met, then it went
    assert Device.objects.get(pk=device.pk).last_success_at is not None


def test_a_leaver_loses_their_devices_and_hears_nothing_after(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User, admin: User,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    phone, _ = register(push_service, parent)
    with django_capture_on_commit_callbacks(execute=True):
        process_leaver(parent, actor=admin)
    assert not Device.objects.filter(user=parent).exists()
    post_and_publish(teacher, conversation_4b, "Goodbye")
    assert push_service.for_device(phone) == []


def test_the_vapid_token_is_signed_once_per_push_service(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User, monkeypatch: pytest.MonkeyPatch) -> None:
    from notifications import vapid

    register(push_service, parent)
    key = vapid.server_key()
    signed: list[object] = []
    original = key.sign

    def sign(claims: object) -> object:
        signed.append(claims)
        return original(claims)
    monkeypatch.setattr(key, "sign", sign)
    for text in ("One", "Two", "Three"):
        post_and_publish(teacher, conversation_4b, text)
    assert len(push_service.received) == 3
    assert len(signed) == 1
    assert len({r.claims["exp"] for r in push_service.received}) == 1
    # One connection, kept alive, carried all three.
    assert len(push_service.connections) == 1


def test_each_push_names_the_class_group_in_its_recipients_language(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User, second_parent: User) -> None:
    at(SATURDAY_NOON)
    second_parent.language = "nl"
    second_parent.save()
    english, _ = register(push_service, parent)
    dutch, _ = register(push_service, second_parent)
    post_and_publish(teacher, conversation_4b, "Trip on Friday")
    [to_english] = push_service.for_device(english)
    [to_dutch] = push_service.for_device(dutch)
    assert to_english.payload["title"] == "4B class group"
    assert to_dutch.payload["title"] == "Klassengroep 4B"


def test_a_person_who_chose_no_language_is_notified_in_the_schools(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User, second_parent: User, school: School) -> None:
    at(SATURDAY_NOON)
    school.language = "ru"
    school.save()
    second_parent.language = "nl"
    second_parent.save()
    unchosen, _ = register(push_service, parent)
    dutch, _ = register(push_service, second_parent)
    post_and_publish(teacher, conversation_4b, "Trip on Friday")
    assert push_service.for_device(unchosen)[0].payload["title"] == "Группа класса 4B"
    assert push_service.for_device(dutch)[0].payload["title"] == "Klassengroep 4B"
