"""Pages write times in the signed-in person's school's zone (accounts.timezones), whatever the
server's TIME_ZONE: a school in Tokyo on a server kept in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from accounts.models import School, User
from messaging.actions import send
from messaging.models import Conversation, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def early(conversation_4b: Conversation, teacher: User) -> Message:
    message, _ = send.post_message(teacher, conversation_4b, "Early start")
    # Tuesday 1 December 2026, 07:05 UTC: 16:05 in Tokyo.
    Message.objects.filter(pk=message.pk).update(created_at=datetime(2026, 12, 1, 7, 5, tzinfo=UTC))
    return message


def _inbox(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.get("/").content.decode()


def test_a_parent_reads_the_schools_clock_not_the_servers(
        settings: Settings, school: School, parent: User, early: Message) -> None:
    settings.TIME_ZONE = "UTC"
    School.objects.filter(pk=school.pk).update(time_zone="Asia/Tokyo")
    assert '<time datetime="2026-12-01T07:05:00+00:00">Tue 16:05</time>' in _inbox(parent)


def test_a_zone_the_machine_does_not_know_falls_back_to_the_installations(
        settings: Settings, school: School, parent: User, early: Message) -> None:
    settings.TIME_ZONE = "UTC"
    School.objects.filter(pk=school.pk).update(time_zone="Mars/Olympus_Mons")
    assert '<time datetime="2026-12-01T07:05:00+00:00">Tue 07:05</time>' in _inbox(parent)
