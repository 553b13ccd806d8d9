"""Sensitive messages: staff mark them (when sending, or later), members' pages hide them
behind a tap, and their text is in no push, digest, inbox or quote, in nobody's search but
their sender's, and in no one else's subject access export. The DPO's archive search is the
exception (docs/policy.md): it answers legal requests, and shows them behind a tap too."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.access import can
from accounts.models import Pupil, School, User
from messaging import digest, queries
from messaging.actions import send, sensitive
from messaging.models import Conversation, Message
from notifications import recipients
from records import export
from records.search import search

pytestmark = pytest.mark.django_db

TEXT = "Emma's allergy plan is in her bag"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def marked(conversation_4b: Conversation, teacher: User) -> Message:
    response = client_for(teacher).post(
        reverse("messaging:conversation", args=[conversation_4b.pk]),
        {"body": TEXT, "client_id": str(uuid.uuid4()), "sensitive": "health", "urgent": "on"})
    assert response.status_code == 302
    return Message.objects.get(body=TEXT)


def test_a_sensitive_message_is_behind_a_tap_on_the_page(marked: Message, parent: User) -> None:
    assert marked.sensitive == "health"
    page = client_for(parent).get(
        reverse("messaging:conversation", args=[marked.conversation_id])).content.decode()
    start = page.index(f'id="m{marked.pk}"')
    item = page[start:page.index("</li>", start)]
    assert ('<details class="sensitive"><summary>Sensitive: health — tap to show</summary>'
            in item)
    assert item.index("<summary>") < item.index("allergy plan") < item.index("</details>")


def test_the_composer_offers_it_to_staff_only(conversation_4b: Conversation, teacher: User,
                                              parent: User) -> None:
    url = reverse("messaging:conversation", args=[conversation_4b.pk])
    assert 'id="id_sensitive"' in client_for(teacher).get(url).content.decode()
    assert 'id="id_sensitive"' not in client_for(parent).get(url).content.decode()
    refused = client_for(parent).post(url, {"body": "my news", "client_id": str(uuid.uuid4()),
                                            "sensitive": "family"})
    assert refused.status_code == 400
    assert "Only staff can mark a message sensitive." in refused.content.decode()
    assert not Message.objects.filter(sender=parent).exists()


def test_marking_later_its_sender_or_a_manager_and_nobody_else(
        conversation_4b: Conversation, teacher: User, parent: User, admin: User) -> None:
    own, _ = send.post_message(teacher, conversation_4b, "About Emma's diagnosis")
    parents, _ = send.post_message(parent, conversation_4b, "Emma has a hearing test")
    url = reverse("messaging:mark_sensitive", args=[conversation_4b.pk, parents.pk])
    assert client_for(parent).post(url, {"sensitive": "send"}).status_code == 403
    assert not can(parent, "message.mark_sensitive", parents)
    # The teacher manages the class group: any message of it, from the page's control.
    page = client_for(teacher).get(
        reverse("messaging:conversation", args=[conversation_4b.pk])).content.decode()
    assert f'action="{url}"' in page
    assert client_for(teacher).post(url, {"sensitive": "send"}).status_code == 302
    assert client_for(teacher).post(
        reverse("messaging:mark_sensitive", args=[conversation_4b.pk, own.pk]),
        {"sensitive": "health"}).status_code == 302
    assert dict(Message.objects.values_list("pk", "sensitive")) == {own.pk: "health",
                                                                    parents.pk: "send"}
    # An unknown category changes nothing; an outsider gets 404.
    other, _ = send.post_message(teacher, conversation_4b, "plain")
    assert client_for(teacher).post(
        reverse("messaging:mark_sensitive", args=[conversation_4b.pk, other.pk]),
        {"sensitive": "gossip"}).status_code == 400
    assert client_for(admin).post(
        reverse("messaging:mark_sensitive", args=[conversation_4b.pk, other.pk]),
        {"sensitive": "health"}).status_code == 404
    with pytest.raises(Exception, match="Choose health"):
        sensitive.mark_sensitive(teacher, other, "")


def test_never_in_a_push(marked: Message, school: School) -> None:
    School.objects.filter(pk=school.pk).update(lock_screen_text="excerpt")
    marked.refresh_from_db()
    marked.conversation.school.refresh_from_db()
    body = recipients.payload(marked)["body"]
    assert body == "Ms de Vries" and "allergy" not in str(recipients.payload(marked))


def test_never_in_a_digest(marked: Message, parent: User) -> None:
    # At noon in the school's time zone: at night a parent's digest waits for the morning.
    assert parent.school is not None
    noon = timezone.localtime(timezone.now(), ZoneInfo(parent.school.time_zone)).replace(
        hour=12, minute=0, second=0, microsecond=0)
    sections, _reached = digest.digest_for(parent, noon)
    [section] = sections
    assert section["messages"][0]["excerpt"] == "A sensitive message (health)"
    assert "allergy" not in str(sections)


def test_never_in_the_inbox_or_a_quote(marked: Message, conversation_4b: Conversation,
                                       teacher: User, parent: User) -> None:
    inbox = client_for(parent).get(reverse("messaging:inbox")).content.decode()
    assert "allergy" not in inbox and "A sensitive message (health)" in inbox
    send.post_message(parent, conversation_4b, "Thanks!", reply_to=marked)
    page = client_for(parent).get(
        reverse("messaging:conversation", args=[conversation_4b.pk])).content.decode()
    quote = page[page.index('<blockquote class="quote">'):]
    assert quote[:quote.index("</blockquote>")].count("allergy") == 0
    assert "A sensitive message (health)" in quote[:quote.index("</blockquote>")]


def test_found_only_by_its_sender(marked: Message, teacher: User, parent: User) -> None:
    assert queries.search(teacher, "allergy") == [marked]
    assert queries.search(parent, "allergy") == []
    page = client_for(parent).get(reverse("messaging:search"), {"q": "allergy"}).content.decode()
    assert "allergy plan" not in page


def test_the_dpo_finds_it_behind_a_tap(marked: Message, school: School, dpo: User) -> None:
    assert [r.message_id for r in search(school, text="allergy")] == [marked.pk]
    page = client_for(dpo).get(reverse("archive:search"), {"text": "allergy"}).content.decode()
    assert "<summary>Sensitive: health — tap to show</summary>" in page
    assert "allergy plan" in page


def test_another_persons_export_describes_it_without_its_text(
        marked: Message, teacher: User, parent: User) -> None:
    parents = export.collect(user=parent)
    [row] = [m for m in parents["messages"] if m["message"] == marked.pk]
    assert row["body"] == "A sensitive message (health)" and row["sensitive"] == "health"
    assert "allergy" not in str(parents["messages"])
    pupil = Pupil.objects.get(first_name="Emma")
    assert "allergy" not in str(export.collect(pupil=pupil)["messages"])
    # Its sender's own export has it.
    [own] = [m for m in export.collect(user=teacher)["messages"] if m["message"] == marked.pk]
    assert own["body"] == TEXT and own["by_subject"]


def test_marked_later_it_leaves_the_export_too(conversation_4b: Conversation, teacher: User,
                                               parent: User) -> None:
    message, _ = send.post_message(teacher, conversation_4b, "About the family situation")
    sensitive.mark_sensitive(teacher, message, "family")
    assert "family situation" not in str(export.collect(user=parent)["messages"])
