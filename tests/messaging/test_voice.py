"""Voice messages on the server: recognised by their content (WebM, Ogg, MP4), kept within the
school's length and size limits with a sentence for the sender, served only to the
conversation's members (a 5A parent gets 404 for 4B's), archived, and never more than
"Voice message" in a push or a digest."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from accounts.models import School, User
from archive.models import Record
from messaging.actions import send as send_actions
from messaging.attachments import summary
from messaging.digest import digest_for
from messaging.models import Attachment, Conversation
from notifications.recipients import payload
from records.export import collect

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

# The first bytes of what browsers record: an EBML header naming the webm doc type (Chromium,
# Firefox), an Ogg page, an MP4 "ftyp" box of brand "M4A " (Safari).
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + b"\x00" * 2000
OGG = b"OggS\x00\x02" + b"\x00" * 2000
MP4 = b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + b"\x00" * 2000


@pytest.fixture(autouse=True)
def _media(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, conversation: Conversation, data: bytes, name: str = "voice.webm",
           **fields: Any) -> TestResponse:
    return client.post(reverse("messaging:upload", args=[conversation.pk]),
                       {"file": SimpleUploadedFile(name, data), **fields})


@pytest.mark.parametrize(("data", "content_type"), [
    (WEBM, "audio/webm"), (OGG, "audio/ogg"), (MP4, "audio/mp4")])
def test_a_recording_is_recognised_by_its_content_and_sent_with_its_length(
        conversation_4b: Conversation, teacher: User, parent: User,
        data: bytes, content_type: str) -> None:
    response = upload(signed_in(teacher), conversation_4b, data, name="x.jpg", duration_ms="4200")
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "audio" and response.json()["duration"] == "0:04"
    voice = Attachment.objects.get()
    assert voice.content_type == content_type and voice.duration_ms == 4200
    message, _created = send_actions.post_message(teacher, conversation_4b, "",
                                                  attachments=[voice])
    served = signed_in(parent).get(reverse("messaging:attachment", args=[voice.token]))
    assert served.status_code == 200 and served["Content-Type"] == content_type
    record = Record.objects.filter(kind="attachment.added").get()
    content = record.payload.content
    assert content["kind"] == "audio" and content["duration_ms"] == 4200
    assert content["message"] == message.pk


def test_a_5a_parent_gets_404_for_a_4b_voice_message(
        conversation_4b: Conversation, teacher: User, parent_5a: User) -> None:
    token = upload(signed_in(teacher), conversation_4b, WEBM, duration_ms="3000").json()["token"]
    send_actions.post_message(teacher, conversation_4b, "",
                              attachments=[Attachment.objects.get(token=token)])
    url = reverse("messaging:attachment", args=[token])
    assert signed_in(parent_5a).get(url).status_code == 404
    assert Client().get(url).status_code in (302, 404)  # signed out: to the login page


def test_past_the_schools_limits_a_recording_is_refused_with_a_sentence(
        conversation_4b: Conversation, teacher: User, school: School) -> None:
    school.voice_max_seconds = 60
    school.voice_max_kilobytes = 1
    school.save()
    client = signed_in(teacher)
    too_long = upload(client, conversation_4b, WEBM[:1000], duration_ms="61000")
    assert too_long.status_code == 400
    assert too_long.json()["error"] == "This voice message is 1:01 long; the school allows 1:00."
    too_large = upload(client, conversation_4b, WEBM, duration_ms="5000")
    assert too_large.status_code == 400
    assert too_large.json()["error"] == "This voice message is 2 KB; the school allows 1 KB."
    no_length = upload(client, conversation_4b, WEBM[:1000])
    assert no_length.status_code == 400
    assert no_length.json()["error"] == "This recording has no length. Record it again."
    assert not Attachment.objects.exists()


def test_a_file_named_like_a_recording_is_judged_by_its_content(
        conversation_4b: Conversation, teacher: User) -> None:
    response = upload(signed_in(teacher), conversation_4b, b"<html>not a sound</html>",
                      name="voice.webm", duration_ms="3000")
    assert response.status_code == 400
    assert not Attachment.objects.exists()


def test_a_push_and_a_digest_say_voice_message_and_nothing_more(
        conversation_4b: Conversation, teacher: User, parent: User, school: School) -> None:
    school.lock_screen_text = "excerpt"
    school.save()
    token = upload(signed_in(teacher), conversation_4b, WEBM, duration_ms="3000").json()["token"]
    voice = Attachment.objects.get(token=token)
    message, _created = send_actions.post_message(teacher, conversation_4b, "",
                                                  attachments=[voice])
    assert payload(message)["body"] == f"{teacher.public_name}: Voice message"
    # At noon, outside anyone's quiet hours (a digest in them carries only urgent messages).
    noon = (timezone.localtime() + timedelta(days=1)).replace(hour=12, minute=0)
    sections, _reached = digest_for(parent, noon)
    assert [m["excerpt"] for s in sections for m in s["messages"]] == ["Voice message"]
    assert summary(voice)["url"] not in str(payload(message))


def test_a_voice_message_is_in_the_subject_access_exports_of_sender_and_reader(
        conversation_4b: Conversation, teacher: User, parent: User) -> None:
    token = upload(signed_in(teacher), conversation_4b, WEBM, duration_ms="3000").json()["token"]
    send_actions.post_message(teacher, conversation_4b, "",
                              attachments=[Attachment.objects.get(token=token)])
    for person in (teacher, parent):
        data = collect(user=person)
        listed = [a for m in data["messages"] for a in m.get("attachments") or []]
        assert [a["content_type"] for a in listed] == ["audio/webm"], listed
        [path] = [p for p in data["_files"] if token[:16] in p]
        assert data["_files"][path].read() == WEBM
