"""Scheduled sending for staff: posted by the task at its time, exactly once."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from messaging.actions import membership, scheduled, send
from messaging.models import Conversation, Message, ScheduledMessage
from messaging.tasks import send_scheduled

pytestmark = pytest.mark.django_db


def test_a_scheduled_message_is_posted_once_when_due(conversation_4b: Conversation, teacher: User) -> None:
    later = timezone.now() + timedelta(hours=2)
    item = scheduled.schedule_message(teacher, conversation_4b, "Reminder: trip money", later)
    assert scheduled.send_due_scheduled() == 0
    assert not Message.objects.exists()
    assert scheduled.send_due_scheduled(now=later + timedelta(seconds=1)) == 1
    assert scheduled.send_due_scheduled(now=later + timedelta(minutes=5)) == 0
    message = Message.objects.get()
    assert message.body == "Reminder: trip money" and message.sender == teacher
    item.refresh_from_db()
    assert item.message == message


def test_a_crash_after_posting_does_not_post_twice(conversation_4b: Conversation, teacher: User) -> None:
    later = timezone.now() + timedelta(hours=2)
    item = scheduled.schedule_message(teacher, conversation_4b, "once", later)
    # The post committed but marking it sent did not: the next run must not duplicate.
    send.post_message(teacher, conversation_4b, "once", client_id=item.client_id)
    scheduled.send_due_scheduled(now=later + timedelta(seconds=1))
    assert Message.objects.count() == 1


def test_only_staff_schedule_and_only_sensible_times(conversation_4b: Conversation, teacher: User,
                                                     parent: User) -> None:
    with pytest.raises(PermissionDenied):
        scheduled.schedule_message(parent, conversation_4b, "x",
                                 timezone.now() + timedelta(hours=1))
    for when in (timezone.now() - timedelta(hours=1), timezone.now() + timedelta(days=90)):
        with pytest.raises(ValidationError):
            scheduled.schedule_message(teacher, conversation_4b, "x", when)


def test_a_sender_who_left_is_not_posted_for(conversation_4b: Conversation, teacher: User,
                                             admin: User) -> None:
    later = timezone.now() + timedelta(hours=2)
    item = scheduled.schedule_message(teacher, conversation_4b, "after leaving", later)
    membership.end_membership(conversation_4b, teacher, actor=admin)
    assert scheduled.send_due_scheduled(now=later + timedelta(seconds=1)) == 0
    item.refresh_from_db()
    assert item.failure and not Message.objects.exists()


def test_scheduling_and_cancelling_through_the_page(client: Client, conversation_4b: Conversation,
                                                    teacher: User, parent: User) -> None:
    client.force_login(teacher)
    url = reverse("messaging:conversation", args=[conversation_4b.pk])
    when = (timezone.now() + timedelta(days=1)).astimezone(
        timezone.get_current_timezone()).strftime("%Y-%m-%dT%H:%M")
    assert client.post(url, {"body": "Tomorrow: library day", "send_at": when}).status_code == 302
    item = ScheduledMessage.objects.get()
    assert "Tomorrow: library day" in client.get(url).content.decode()
    client.force_login(parent)
    assert "library day" not in client.get(url).content.decode()
    cancel = reverse("messaging:cancel_scheduled", args=[conversation_4b.pk, item.pk])
    assert client.post(cancel).status_code == 404  # not theirs
    client.force_login(teacher)
    assert client.post(cancel).status_code == 302
    send_scheduled.delay()
    assert scheduled.send_due_scheduled(now=timezone.now() + timedelta(days=2)) == 0



MONTHS = {
    "ru": ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
           "сентября", "октября", "ноября", "декабря"],
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
}


@pytest.mark.parametrize("language", ["ru", "nl", "en"])
def test_the_scheduled_list_writes_the_month_as_the_language_does(
        conversation_4b: Conversation, teacher: User, language: str) -> None:
    when = timezone.localtime(timezone.now() + timedelta(days=10))
    scheduled.schedule_message(teacher, conversation_4b, "Winter fair", when)
    client = Client()
    client.cookies["django_language"] = language
    teacher.language = language
    teacher.save()
    client.force_login(teacher)
    page = client.get(reverse("messaging:conversation", args=[conversation_4b.pk])).content.decode()
    shown = page.split("Winter fair")[0].rsplit("<time", 1)[1]
    # "7 декабря", never the abbreviation "Дек".
    month = MONTHS[language][when.month - 1]
    assert f" {month}," in shown, shown
