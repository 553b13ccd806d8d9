"""Office hours, quiet hours, urgent messages and the e-mail digest."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from channels.db import database_sync_to_async
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from accounts.models import Role, School, User
from messaging import hours
from messaging.actions import direct, membership, send
from messaging.actions import hours as hours_actions
from messaging.digest import send_digests
from messaging.models import Conversation, OfficeHours
from messaging.tasks import send_digests as digest_task
from tests.factories import UserFactory
from tests.messaging.reading import read
from tests.messaging.test_consumer import connect, receive_until, subscribe

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=AMS)
FRIDAY_23 = datetime(2026, 11, 27, 23, 0, tzinfo=AMS)
SATURDAY_12 = datetime(2026, 11, 28, 12, 0, tzinfo=AMS)


def test_the_school_default_is_weekdays_eight_to_five(teacher: User) -> None:
    schedule = hours.schedule_for(teacher)
    assert schedule.is_open(MONDAY_10)
    assert not schedule.is_open(FRIDAY_23)
    assert schedule.next_opening(FRIDAY_23) == datetime(2026, 11, 30, 8, 0, tzinfo=AMS)


def test_staff_set_their_own_hours(client: Client, teacher: User) -> None:
    client.force_login(teacher)
    response = client.post(reverse("messaging:office_hours"),
                           {"starts_5": "10:00", "ends_5": "12:00"})
    assert response.status_code == 302
    schedule = hours.schedule_for(teacher)
    assert schedule.is_open(datetime(2026, 11, 28, 11, 0, tzinfo=AMS))  # Saturday
    assert not schedule.is_open(MONDAY_10)


def test_office_hours_need_both_times_in_order(client: Client, teacher: User) -> None:
    client.force_login(teacher)
    response = client.post(reverse("messaging:office_hours"),
                           {"starts_0": "12:00", "ends_0": "09:00"})
    assert response.status_code == 200 and "the end must be after the start" in (
        response.content.decode())
    assert not OfficeHours.objects.exists()


def test_parents_have_no_office_hours_page(client: Client, parent: User) -> None:
    client.force_login(parent)
    assert client.get(reverse("messaging:office_hours")).status_code == 404
    with pytest.raises(PermissionDenied):
        hours_actions.set_office_hours(parent, {})


def test_a_parent_writing_outside_office_hours_is_told_when_it_will_be_read(client: Client, teacher: User,
                                                                           parent: User) -> None:
    conversation = direct.open_direct(parent, teacher)
    hours_actions.set_office_hours(teacher, {0: (time(8), time(9))})  # Mondays 08:00-09:00 only
    now = timezone.now().astimezone(AMS)
    if now.weekday() == 0 and time(8) <= now.time() < time(9):
        pytest.skip("runs outside Monday 08:00-09:00 only")
    away = hours.staff_away(parent, conversation)
    assert [p["name"] for p in away] == ["Ms de Vries"]
    client.force_login(parent)
    url = reverse("messaging:conversation", args=[conversation.pk])
    response = client.post(url, {"body": "Can we talk about Emma?"}, follow=True)
    assert "Ms de Vries is outside office hours and will read your message on Monday at 08:00." in (
        response.content.decode())
    # Russian says the day as a phrase of its own ("в понедельник"), Dutch "op maandag om".
    client.cookies["django_language"] = "ru"
    response = client.post(url, {"body": "Можно поговорить?"}, follow=True)
    assert ("прочитает ваше сообщение в понедельник в 08:00." in response.content.decode())
    client.cookies["django_language"] = "nl"
    response = client.post(url, {"body": "Kunnen we praten?"}, follow=True)
    assert "leest uw bericht op maandag om 08:00." in response.content.decode()
    # Staff writing to a parent are never told such a thing.
    assert hours.staff_away(teacher, conversation) == []


def test_urgent_is_for_staff_only(conversation_4b: Conversation, parent: User, teacher: User) -> None:
    with pytest.raises(PermissionDenied):
        send.post_message(parent, conversation_4b, "URGENT!!", urgent=True)
    message, _ = send.post_message(teacher, conversation_4b, "School closes at 12",
                                      urgent=True)
    assert message.urgent


def test_quiet_hours(teacher: User, parent: User) -> None:
    assert hours.is_quiet_for(teacher, FRIDAY_23)
    assert not hours.is_quiet_for(teacher, FRIDAY_23, urgent=True)
    assert not hours.is_quiet_for(teacher, MONDAY_10)
    assert hours.is_quiet_for(parent, FRIDAY_23)       # night
    assert not hours.is_quiet_for(parent, SATURDAY_12)


# --- live notifications -----------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
async def test_messages_outside_a_staff_members_hours_arrive_quiet_unless_urgent(
        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    today = timezone.now().astimezone(AMS).weekday()
    await database_sync_to_async(hours_actions.set_office_hours)(
        teacher, {(today + 3) % 7: (time(8), time(9))})  # not today
    socket = await connect(teacher)
    await subscribe(socket, conversation_4b)
    await receive_until(socket, "subscribed")
    post = database_sync_to_async(send.post_message)
    await post(parent, conversation_4b, "late question")
    quiet = (await receive_until(socket, "message"))[-1]
    assert quiet["quiet"] is True
    staff_user = await database_sync_to_async(UserFactory)(
        username="head", role=Role.TEACHER, school=teacher.school)
    await database_sync_to_async(membership.add_member)(conversation_4b, staff_user)
    await post(staff_user, conversation_4b, "Flood: school closed", urgent=True)
    urgent = (await receive_until(socket, "message"))[-1]
    assert "quiet" not in urgent and urgent["urgent"] is True
    await socket.disconnect()


# --- e-mail digest ----------------------------------------------------------------------------
def test_the_digest_lists_unread_messages_once_and_no_contact_details(conversation_4b: Conversation,
                                                                      teacher: User, parent: User,
                                                                      school: School, admin: User,
                                                                      settings: Settings) -> None:
    other = UserFactory(username="bram", display_name="Bram Visser", role=Role.PARENT,
                        school=school, email="bram@example.invalid", phone="+31 6 0000 9999")
    membership.add_member(conversation_4b, other, actor=admin)
    send.post_message(other, conversation_4b, "Who has a spare lunchbox?")
    send.post_message(teacher, conversation_4b, "Trip on Friday")
    assert send_digests(now=SATURDAY_12) >= 1
    to_anna = [m for m in mail.outbox if m.to == [parent.email]]
    assert len(to_anna) == 1
    body = to_anna[0].body
    assert "4B class group" in body and "Bram Visser: Who has a spare lunchbox?" in body
    assert "Trip on Friday" in body
    assert "bram@example.invalid" not in body and "+31 6 0000 9999" not in body
    assert teacher.email not in body
    mail.outbox.clear()
    send_digests(now=SATURDAY_12)
    assert not [m for m in mail.outbox if m.to == [parent.email]]  # nothing mailed twice


def test_no_digest_in_quiet_hours_and_none_for_what_was_read(conversation_4b: Conversation, teacher: User,
                                                             parent: User, client: Client) -> None:
    send.post_message(teacher, conversation_4b, "Trip on Friday")
    send_digests(now=FRIDAY_23)
    assert not [m for m in mail.outbox if m.to == [parent.email]]
    client.force_login(parent)
    read(client, conversation_4b)  # read it
    send_digests(now=SATURDAY_12)
    assert not [m for m in mail.outbox if m.to == [parent.email]]


def test_staff_get_urgent_messages_outside_office_hours_only(conversation_4b: Conversation, teacher: User,
                                                             parent: User, school: School,
                                                             admin: User) -> None:
    head = UserFactory(username="head", role=Role.TEACHER, school=school)
    membership.add_member(conversation_4b, head, actor=admin)
    send.post_message(parent, conversation_4b, "question at night")
    digest_task.delay()  # through Celery (eager in tests): runs now, whatever time it is
    mail.outbox.clear()
    send.post_message(head, conversation_4b, "Burst pipe: school closed", urgent=True)
    send.post_message(parent, conversation_4b, "another question")
    send_digests(now=SATURDAY_12)
    to_teacher = [m for m in mail.outbox if m.to == [teacher.email]]
    assert len(to_teacher) == 1
    assert "Burst pipe" in to_teacher[0].body and "another question" not in to_teacher[0].body
