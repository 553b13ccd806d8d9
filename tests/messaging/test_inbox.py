"""Issue 12: the inbox as a messenger's inbox. Each conversation shows its last message (who,
the start of what the reader may read, when, in the page's time zone), the reader's unread
count, latest activity first; a fixed number of queries however many conversations."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries
from pytest_django.fixtures import Settings

from accounts.models import Role, School, User
from messaging.actions import edit, membership, receipts, send
from messaging.actions.attachments import upload
from messaging.models import Attachment, Conversation, Message
from tests.factories import UserFactory
from tests.messaging.images import photo_with_location

pytestmark = pytest.mark.django_db


def rows(client: Client) -> list[str]:
    """The inbox's conversations, in order, as text with the white space folded (what is
    hidden left out)."""
    html = re.sub(r"<span [^>]*hidden>.*?</span>", "", client.get("/").content.decode())
    items = re.findall(r'<li data-conversation="\d+".*?</li>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", item).split()) for item in items]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_each_conversation_shows_its_last_message_and_the_readers_unread_count(
        conversation_4b: Conversation, announcements: Conversation, teacher: User,
        parent: User) -> None:
    send.post_message(teacher, announcements, "Term starts Monday")
    send.post_message(teacher, conversation_4b, "Swimming is on Tuesday")
    send.post_message(parent, conversation_4b, "Emma has her kit")
    send.post_message(teacher, conversation_4b, "Thank you!")
    parent_rows = rows(signed_in(parent))
    assert len(parent_rows) == 2
    assert parent_rows[0].startswith("4B class group Ms de Vries: Thank you!")
    assert parent_rows[0].endswith("2 unread")           # the teacher's two, not the parent's own
    assert parent_rows[1].startswith("Announcements Ms de Vries: Term starts Monday")
    assert parent_rows[1].endswith("1 unread")
    # The teacher has read nothing of the parent's yet; their own messages are not unread.
    assert rows(signed_in(teacher))[0].endswith("1 unread")


def test_reading_clears_the_count_and_new_activity_moves_a_conversation_up(
        conversation_4b: Conversation, announcements: Conversation, teacher: User,
        parent: User) -> None:
    send.post_message(teacher, conversation_4b, "Swimming is on Tuesday")
    send.post_message(teacher, announcements, "Term starts Monday")
    client = signed_in(parent)
    assert [r.split(" Ms de Vries")[0] for r in rows(client)] == ["Announcements", "4B class group"]
    conversation_4b.refresh_from_db()
    receipts.mark_seen(parent, conversation_4b, conversation_4b.last_seq)
    send.post_message(parent, conversation_4b, "See you there")
    first, second = rows(client)
    assert first.startswith("4B class group Anna Jansen: See you there")
    assert "unread" not in first.split("See you there")[1]
    assert second.startswith("Announcements")


def test_the_time_is_written_in_the_pages_time_zone(conversation_4b: Conversation, teacher: User,
                                                    parent: User) -> None:
    message, _ = send.post_message(teacher, conversation_4b, "Early start")
    # Tuesday 1 December 2026, 07:05 UTC is 08:05 in Amsterdam (the school's zone).
    Message.objects.filter(pk=message.pk).update(created_at=datetime(2026, 12, 1, 7, 5, tzinfo=UTC))
    html = signed_in(parent).get("/").content.decode()
    assert '<time datetime="2026-12-01T07:05:00+00:00">Tue 08:05</time>' in html


def test_a_retracted_last_message_shows_as_retracted_not_its_text(
        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    send.post_message(teacher, conversation_4b, "Before")
    mistake, _ = send.post_message(teacher, conversation_4b, "Phone me on 0612345678")
    edit.retract_message(teacher, mistake)
    client = signed_in(parent)
    [row] = rows(client)
    assert "Ms de Vries: message retracted" in row
    assert "0612345678" not in client.get("/").content.decode()
    assert row.endswith("1 unread")                      # the retracted one no longer counts


def test_a_hidden_photo_is_not_mentioned(settings: Settings, tmp_path: Path,
                                         conversation_4b: Conversation, teacher: User,
                                         parent: User) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    photo = upload(teacher, conversation_4b, SimpleUploadedFile("garden.jpg", photo_with_location()),
                   no_identifiable_pupils=True)
    send.post_message(teacher, conversation_4b, "", attachments=[photo])
    client = signed_in(parent)
    assert "Ms de Vries: Photo" in rows(client)[0]
    Attachment.objects.filter(pk=photo.pk).update(hidden_at=timezone.now())
    [row] = rows(client)
    assert "Photo" not in row
    assert photo.token not in client.get("/").content.decode()


def test_an_outsider_sees_none_of_it(conversation_4b: Conversation, teacher: User,
                                     parent_5a: User) -> None:
    send.post_message(teacher, conversation_4b, "For 4B only")
    html = signed_in(parent_5a).get("/").content.decode()
    assert "For 4B only" not in html and "4B class group" not in html


def test_a_leaver_no_longer_sees_the_conversation(conversation_4b: Conversation, teacher: User,
                                                  parent: User, admin: User) -> None:
    membership.end_membership(conversation_4b, parent, actor=admin)
    send.post_message(teacher, conversation_4b, "After you left")
    assert rows(signed_in(parent)) == []


@pytest.mark.parametrize("count", [2, 12])
def test_the_inbox_takes_a_fixed_number_of_queries(
        django_assert_max_num_queries: DjangoAssertNumQueries, count: int, school: School,
        teacher: User, parent: User, admin: User) -> None:
    for n in range(count):
        group = Conversation.objects.create(school=school, kind=Conversation.Kind.GROUP,
                                            title=f"Group {n}")
        membership.add_member(group, teacher, actor=admin, manager=True)
        membership.add_member(group, parent, actor=admin)
        send.post_message(teacher, group, f"Hello group {n}")
        direct = UserFactory(username=f"staff{n}", role=Role.TEACHER, school=school)
        one_to_one = Conversation.objects.create(school=school, kind=Conversation.Kind.DIRECT,
                                                 title="", direct_key=f"{n}:{parent.pk}")
        membership.add_member(one_to_one, direct, actor=admin)
        membership.add_member(one_to_one, parent, actor=admin)
        send.post_message(direct, one_to_one, f"Direct {n}")
    client = signed_in(parent)
    client.get("/")  # warm: the session and the permission caches
    # Of which one reads the school's time zone (accounts.timezones), one whether the menu
    # links to a parent's welcome page, one the muted marks, and one whether the menu links to
    # activities (the person has one coming up).
    with django_assert_max_num_queries(18):
        response = client.get("/")
    assert response.status_code == 200
    assert len(rows(client)) == 2 * count
