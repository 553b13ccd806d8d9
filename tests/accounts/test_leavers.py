"""Leavers: deactivated at once, everywhere, with their messages kept for the others."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from accounts.actions.invitations import issue_invitation
from accounts.actions.leavers import process_due_leavers, process_leaver, pupil_leaves
from accounts.actions.people import create_account
from accounts.models import Enrolment, Invitation, Role, School, SchoolClass, User
from archive.models import Record
from messaging.actions import send
from messaging.actions.classes import class_conversation, sync_class_conversation
from messaging.consumers import ChatConsumer
from messaging.models import Conversation, Membership
from tests.factories import UserFactory


@pytest.mark.django_db
def test_processing_a_leaver_deactivates_ends_memberships_and_revokes_invitations(
        client: Client, conversation_4b: Conversation, announcements: Conversation, parent: User,
        admin: User) -> None:
    client.force_login(parent)
    invitation, _token = issue_invitation(parent, actor=admin)
    assert process_leaver(parent, actor=admin)
    parent.refresh_from_db()
    assert not parent.is_active and parent.left_at is not None
    assert not Membership.objects.filter(user=parent, ended_at__isnull=True).exists()
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert not Session.objects.exists()
    kinds = set(Record.objects.values_list("kind", flat=True))
    assert {"account.deactivated", "account.sessions_ended", "member.removed",
            "admin.invitation_revoked"} <= kinds
    # A second run changes nothing.
    assert not process_leaver(parent, actor=admin)
    # The leaver is not put back by a recompute of the class group.
    assert conversation_4b.school_class is not None
    sync_class_conversation(conversation_4b.school_class)
    assert not Membership.objects.filter(user=parent, ended_at__isnull=True).exists()


@pytest.mark.django_db
def test_pages_redirect_a_leaver_to_login_and_their_messages_remain(client: Client,
                                                                    conversation_4b: Conversation,
                                                                    teacher: User, parent: User,
                                                                    admin: User) -> None:
    send.post_message(parent, conversation_4b, "Emma's swimming bag is blue")
    client.force_login(parent)
    assert client.get(reverse("messaging:inbox")).status_code == 200
    process_leaver(parent, actor=admin)
    for target in [reverse("messaging:inbox"),
                   reverse("messaging:conversation", args=[conversation_4b.pk])]:
        response = client.get(target)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    client.force_login(teacher)
    page = client.get(reverse("messaging:conversation", args=[conversation_4b.pk]))
    assert "Emma&#x27;s swimming bag is blue" in page.content.decode()


@pytest.mark.django_db
def test_a_leaver_cannot_log_in_again(client: Client, parent: User, admin: User) -> None:
    process_leaver(parent, actor=admin)
    from tests.factories import PASSWORD

    response = client.post(reverse("login"), {"username": "parent", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_due_leave_dates_are_applied_by_the_command_and_the_task(school: School, admin: User,
                                                                 class_4b: SchoolClass) -> None:
    today = timezone.localdate()
    due = UserFactory(username="due", role=Role.PARENT, school=school, leaves_on=today)
    later = UserFactory(username="later", role=Role.PARENT, school=school,
                        leaves_on=today + timedelta(days=3))
    call_command("process_leavers")
    due.refresh_from_db()
    later.refresh_from_db()
    assert not due.is_active and later.is_active
    from accounts.tasks import process_leavers

    assert process_leavers.delay().get() == {"users": 0, "pupils": 0}
    assert process_due_leavers(today=today + timedelta(days=3))["users"] == 1
    later.refresh_from_db()
    assert not later.is_active


@pytest.mark.django_db
def test_a_scheduled_pupil_leaver_stays_until_the_day(school: School, admin: User, class_4b: SchoolClass,
                                                      parent: User) -> None:
    from accounts.models import Pupil

    pupil = Pupil.objects.get(guardianships__guardian=parent)
    tomorrow = timezone.localdate() + timedelta(days=1)
    sync_class_conversation(class_4b)
    pupil_leaves(pupil, actor=admin, on=tomorrow)
    conversation = class_conversation(class_4b)
    assert Membership.objects.filter(conversation=conversation, user=parent,
                                     ended_at__isnull=True).exists()
    process_due_leavers(today=tomorrow)
    assert Enrolment.objects.current(tomorrow).filter(pupil=pupil).count() == 0


@pytest.mark.django_db
def test_the_beat_schedule_runs_the_leavers_task_daily(settings: Settings) -> None:
    from schoolchat.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["accounts-leavers"]
    assert entry["task"] == "accounts.process_leavers" and entry["schedule"] == 86400.0
    app.loader.import_default_modules()
    assert "accounts.process_leavers" in app.tasks


@pytest.mark.django_db(transaction=True)
async def test_a_connected_parent_made_a_leaver_is_disconnected_at_once(conversation_4b: Conversation,
                                                                        parent: User, admin: User) -> None:
    from channels.testing import WebsocketCommunicator

    communicator = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/")
    communicator.scope["user"] = parent
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from())["type"] == "hello"
    await communicator.send_json_to({"type": "subscribe", "conversation": conversation_4b.pk,
                                     "after_seq": 0})
    while (await communicator.receive_json_from())["type"] != "subscribed":
        pass
    await database_sync_to_async(process_leaver)(parent, actor=admin)
    while True:
        output = await communicator.receive_output(timeout=2)
        if output["type"] == "websocket.close":
            break
    assert output["code"] == 4403
    # A new socket of the leaver is refused (the account is inactive).
    await database_sync_to_async(parent.refresh_from_db)()
    again = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/")
    again.scope["user"] = parent
    connected, code = await again.connect()
    assert not connected and code == 4401


@pytest.mark.django_db
def test_pending_invitations_of_a_leaver_no_longer_work(client: Client, school: School, admin: User) -> None:
    person = create_account(school, actor=admin, username="newparent",
                                    display_name="New Parent", role=Role.PARENT)
    invitation, _token = issue_invitation(person, actor=admin)
    process_leaver(person, actor=admin)
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is not None
