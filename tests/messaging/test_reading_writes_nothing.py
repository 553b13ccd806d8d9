"""Reading writes nothing: opening any messaging page leaves the database as it was.

"Seen" is something a member tells, not something a page view implies: the page's script sends
``seen`` over the socket for what a visible tab has shown, and without JavaScript the page
offers "Mark as read". A GET (a prefetch, a crawler behind a shared link preview, a tab opened
in the background) changes no receipt, no unread count, nothing the sender sees.
"""

import re
from collections.abc import Iterable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.live_server_helper import LiveServer

from accounts.models import User
from messaging.actions import attachments, send
from messaging.models import Conversation, Membership, Receipt
from tests.http import LiveClient

# What a request may write whatever it does: its session, and sign-in lockout bookkeeping.
ALLOWED_TABLES = re.compile(r'^(django_session|axes_\w+)$')
WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.I)


def writes(queries: Iterable[dict[str, Any]]) -> list[str]:
    found = []
    for query in queries:
        match = WRITE.match(query["sql"])
        if match and not ALLOWED_TABLES.match(match.group(2)):
            found.append(query["sql"])
    return found


@pytest.fixture
def chat(conversation_4b: Conversation, announcements: Conversation, teacher: User,
         parent: User) -> dict[str, Any]:
    """Unread messages for the parent (one with a PDF, one asking for acknowledgement)."""
    leaflet = attachments.upload(teacher, conversation_4b,
                                 SimpleUploadedFile("trip.pdf", b"%PDF-1.4\n" + b"0" * 200))
    message, _ = send.post_message(teacher, conversation_4b, "The trip leaflet",
                                   attachments=[leaflet])
    send.post_message(teacher, conversation_4b, "Bring a packed lunch")
    notice, _ = send.post_message(teacher, announcements, "Sports day", ack_requested=True)
    return {"message": message, "notice": notice, "leaflet": leaflet}


def pages(chat: dict[str, Any], conversation_4b: Conversation, announcements: Conversation, teacher: User,
          parent: User) -> list[tuple[User, str]]:
    message, notice, token = chat["message"], chat["notice"], chat["leaflet"].token
    c4b = conversation_4b.pk
    return [
        (parent, reverse("messaging:inbox")),
        (parent, reverse("messaging:conversation", args=[c4b])),
        (parent, reverse("messaging:conversation", args=[announcements.pk])),
        (parent, reverse("messaging:people")),
        (parent, reverse("messaging:search") + "?q=trip"),
        (parent, reverse("messaging:messages", args=[c4b])),
        (parent, reverse("messaging:events", args=[c4b]) + "?after_seq=0"),
        (parent, reverse("messaging:attachment", args=[token])),
        (parent, reverse("messaging:reply_privately", args=[announcements.pk, notice.pk])),
        (teacher, reverse("messaging:receipts", args=[c4b, message.pk])),
        (parent, reverse("messaging:reactions", args=[c4b, message.pk])),
        (teacher, reverse("messaging:acknowledgements", args=[announcements.pk, notice.pk])),
        (teacher, reverse("messaging:class_pupils", args=[c4b])),
        (teacher, reverse("messaging:office_hours")),
    ]


@pytest.mark.django_db
def test_opening_every_messaging_page_writes_nothing(client: Client, chat: dict[str, Any],
                                                     conversation_4b: Conversation,
                                                     announcements: Conversation, teacher: User,
                                                     parent: User) -> None:
    for user, url in pages(chat, conversation_4b, announcements, teacher, parent):
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, url
        assert writes(captured.captured_queries) == [], url
    assert not Receipt.objects.exists()
    assert set(Membership.objects.values_list("last_read_seq", flat=True)) == {0}


@pytest.mark.django_db
def test_mark_as_read_is_for_members_only(client: Client, chat: dict[str, Any], conversation_4b: Conversation,
                                          parent_5a: User) -> None:
    client.force_login(parent_5a)
    url = reverse("messaging:mark_read", args=[conversation_4b.pk])
    assert client.post(url, {"seq": conversation_4b.last_seq}).status_code == 404
    assert client.get(url).status_code == 405
    assert not Receipt.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_mark_as_read_through_the_page_form_on_a_live_server(live_server: LiveServer, chat: dict[str, Any],
                                                             conversation_4b: Conversation, teacher: User,
                                                             parent: User) -> None:
    reader = LiveClient(live_server.url, parent)
    page_url = reverse("messaging:conversation", args=[conversation_4b.pk])
    assert "Mark as read" in reader.get(page_url).text
    assert "2 unread" in reader.get(reverse("messaging:inbox")).text
    answer = reader.post(reverse("messaging:mark_read", args=[conversation_4b.pk]),
                         {"seq": conversation_4b.last_seq}, form_page=page_url)
    assert answer.status == 200 and answer.url.endswith(page_url)
    assert "Mark as read" not in answer.text
    inbox = reader.get(reverse("messaging:inbox")).text
    assert "2 unread" not in inbox and "1 unread" in inbox  # the announcement is still unread
    assert Receipt.objects.filter(user=parent).count() == 2
    sender = LiveClient(live_server.url, teacher)
    assert "Seen by 1 of 1" in sender.get(page_url).text
