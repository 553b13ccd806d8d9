"""The demo school's messaging: an announcement awaiting acknowledgements, a reply, a
one-to-one conversation, office hours; a second run adds nothing."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from accounts.models import School, User
from messaging.models import Acknowledgement, Conversation, Event, Message, OfficeHours


@pytest.fixture
def demo(db: None, settings: Settings) -> None:
    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def _counts() -> tuple[int, ...]:
    return (Message.objects.count(), Event.objects.count(), Acknowledgement.objects.count(),
            Conversation.objects.count(), OfficeHours.objects.count())


def test_a_second_run_adds_nothing(demo: None) -> None:
    before = _counts()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _counts() == before


def test_the_head_sees_who_has_not_acknowledged_sports_day(demo: None, client: Client) -> None:
    notice = Message.objects.get(ack_requested=True)
    client.force_login(User.objects.get(username="head"))
    html = client.get(reverse("messaging:acknowledgements",
                              args=[notice.conversation_id, notice.pk])).content.decode()
    pending, acknowledged = html.split('id="pending"')[1].split('id="acknowledged"')
    assert "Anna Jansen" in acknowledged and "Anna Jansen" not in pending


def test_anna_has_a_one_to_one_conversation_with_her_teacher(demo: None, client: Client) -> None:
    client.force_login(User.objects.get(username="parent"))
    direct = Conversation.objects.get(kind=Conversation.Kind.DIRECT)
    html = client.get(reverse("messaging:conversation", args=[direct.pk])).content.decode()
    assert "Thursday after school" in html


def test_the_demo_has_the_default_policy_and_a_sensitive_message(demo: None) -> None:
    school = School.objects.get(slug="demo")
    assert school.staff_pupil_direct == "visible_to_leads" and not school.parent_direct_messages
    marked = Message.objects.get(sensitive="health", conversation__school=school)
    assert marked.conversation.kind == Conversation.Kind.DIRECT
    client = Client()
    client.force_login(User.objects.get(username="parent"))
    page = client.get(reverse("messaging:conversation", args=[marked.conversation_id]))
    assert "Sensitive: health — tap to show" in page.content.decode()
