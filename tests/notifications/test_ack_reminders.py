"""An acknowledgement reminder is pushed too: to the reminded guardians' devices only, with
"Reminder: please acknowledge ..." and nothing the school's lock-screen policy hides."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import Role, School, User
from messaging.actions import edit, membership, receipts, reminders, send, sensitive
from messaging.models import Conversation
from notifications import actions
from tests.factories import PupilFactory, UserFactory, enrol
from tests.notifications.conftest import WEEKNIGHT, Held, register
from tests.notifications.push_service import PushService

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_family(school: School, conversation_4b: Conversation, admin: User) -> User:
    user = UserFactory(username="sara", display_name="Sara Smit", role=Role.PARENT, school=school)
    assert conversation_4b.school_class is not None
    enrol(PupilFactory(school=school, first_name="Liam"), conversation_4b.school_class, user)
    membership.add_member(conversation_4b, user, actor=admin)
    return user


def test_only_the_families_that_have_not_acknowledged_get_the_push(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User, other_family: User,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        notice, _ = send.post_message(teacher, conversation_4b, "Sign the trip form",
                                      ack_requested=True)
    reminded, _ = register(push_service, other_family)
    acked, _ = register(push_service, parent)
    teachers, _ = register(push_service, teacher)
    receipts.acknowledge(parent, notice)
    with django_capture_on_commit_callbacks(execute=True):
        reminders.remind_unacknowledged(teacher, notice, link="https://school.example/")
    [got] = push_service.for_device(reminded)
    assert got.payload["body"] == "Reminder: please acknowledge Ms de Vries"
    assert got.payload["url"] == f"/c/{conversation_4b.pk}/#m{notice.pk}"
    assert "trip" not in str(got.payload)
    assert push_service.for_device(acked) == []
    assert push_service.for_device(teachers) == []


def test_the_push_follows_the_excerpt_policy_mutes_and_quiet_nights(
        push_service: PushService, at: Callable[[datetime], None], school: School,
        conversation_4b: Conversation, teacher: User, parent: User, other_family: User,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    school.lock_screen_text = "excerpt"
    school.save()
    notice, _ = send.post_message(teacher, conversation_4b, "Sign the trip form",
                                  ack_requested=True)
    phone, _ = register(push_service, other_family)
    muted, _ = register(push_service, parent)
    actions.mute(parent, conversation_4b)
    with django_capture_on_commit_callbacks(execute=True):
        reminders.remind_unacknowledged(teacher, notice, link="https://school.example/")
    [got] = push_service.for_device(phone)
    assert got.payload["body"] == "Reminder: please acknowledge Sign the trip form"
    assert push_service.for_device(muted) == []


def test_no_push_at_night_the_mail_still_goes(
        push_service: PushService, at: Callable[[datetime], None],
        conversation_4b: Conversation, teacher: User, other_family: User,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    notice, _ = send.post_message(teacher, conversation_4b, "Sign", ack_requested=True)
    phone, _ = register(push_service, other_family)
    at(WEEKNIGHT)
    with django_capture_on_commit_callbacks(execute=True):
        reminder = reminders.remind_unacknowledged(teacher, notice, link="https://x.example/")
    assert reminder.recipients == 2
    assert push_service.for_device(phone) == []


def test_each_guardian_is_reminded_in_their_own_language(
        push_service: PushService, at: Callable[[datetime], None], conversation_4b: Conversation,
        teacher: User, parent: User, other_family: User,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    other_family.language = "nl"
    other_family.save()
    parent.language = "ru"
    parent.save()
    notice, _ = send.post_message(teacher, conversation_4b, "Sign", ack_requested=True)
    dutch, _ = register(push_service, other_family)
    russian, _ = register(push_service, parent)
    with django_capture_on_commit_callbacks(execute=True):
        reminders.remind_unacknowledged(teacher, notice, link="https://x.example/")
    [nl] = push_service.for_device(dutch)
    [ru] = push_service.for_device(russian)
    assert nl.payload["body"].startswith("Herinnering") and "Ms de Vries" in nl.payload["body"]
    assert ru.payload["body"].startswith("Напоминание") and "Ms de Vries" in ru.payload["body"]


def test_a_reminder_retry_reads_the_message_and_the_family_again(
        push_service: PushService, at: Callable[[datetime], None], school: School,
        conversation_4b: Conversation, teacher: User, parent: User, other_family: User,
        queued: Held, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    school.lock_screen_text = "excerpt"
    school.save()
    first, _ = send.post_message(teacher, conversation_4b, "Sign the trip form",
                                 ack_requested=True)
    second, _ = send.post_message(teacher, conversation_4b, "Bring a packed lunch",
                                  ack_requested=True)
    acknowledging, _ = register(push_service, other_family)
    waiting, _ = register(push_service, parent)
    push_service.answer(acknowledging, 500, 500)
    push_service.answer(waiting, 500, 500)
    with django_capture_on_commit_callbacks(execute=True):
        reminders.remind_unacknowledged(teacher, first, link="https://x.example/")
        reminders.remind_unacknowledged(teacher, second, link="https://x.example/")
    assert len(queued.jobs) == 4
    assert "trip" not in str(queued.jobs) and "lunch" not in str(queued.jobs)
    receipts.acknowledge(other_family, first)
    receipts.acknowledge(other_family, second)
    edit.retract_message(teacher, second)
    queued.run()
    # Sara acknowledged both since: nothing; Anna is reminded of the first only, the second
    # having been retracted.
    assert push_service.for_device(acknowledging) == []
    [got] = push_service.for_device(waiting)
    assert got.payload["body"] == "Reminder: please acknowledge Sign the trip form"


def test_a_reminder_of_a_message_marked_sensitive_shows_the_sender_only(
        push_service: PushService, at: Callable[[datetime], None], school: School,
        conversation_4b: Conversation, teacher: User, other_family: User,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> None:
    school.lock_screen_text = "excerpt"
    school.save()
    notice, _ = send.post_message(teacher, conversation_4b, "About Liam's medication",
                                  ack_requested=True)
    sensitive.mark_sensitive(teacher, notice, "health")
    phone, _ = register(push_service, other_family)
    with django_capture_on_commit_callbacks(execute=True):
        reminders.remind_unacknowledged(teacher, notice, link="https://x.example/")
    [got] = push_service.for_device(phone)
    assert got.payload["body"] == "Reminder: please acknowledge Ms de Vries"
    assert "medication" not in str(got.payload)
