"""Attachments: allowed by content, cleaned of metadata, seen only by members, hidden when
photo consent is withdrawn."""


from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from PIL import Image
from pytest_django.fixtures import Settings

import consent
from accounts.models import Guardianship, Pupil, School, User
from archive.models import Record
from consent import actions as consent_actions
from messaging.actions import edit
from messaging.actions import send as send_actions
from messaging.models import Attachment, Conversation, Event
from tests.messaging.images import has_location, photo_with_location
from tests.messaging.test_consumer import connect, receive_until, subscribe

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse


pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def emma(parent: User) -> Pupil:
    return Guardianship.objects.get(guardian=parent).pupil


@pytest.fixture
def photo_consent(school: School, parent: User, emma: Pupil) -> None:
    consent_actions.ensure_purposes(school)
    consent_actions.decide(parent, emma, consent.PHOTOS_CLASS, "granted")


def upload(client: Client, conversation: Conversation, data: bytes, name: str = "photo.jpg",
           **fields: Any) -> TestResponse:
    return client.post(reverse("messaging:upload", args=[conversation.pk]),
                       {"file": SimpleUploadedFile(name, data), **fields})


def read(response: TestResponse) -> bytes:
    # A file download: getvalue() joins its streaming_content.
    return cast(StreamingHttpResponse, response).getvalue()


# --- what may be uploaded -----------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_photo_is_stored_without_its_location_and_camera_data(client: Client, conversation_4b: Conversation,
                                                                teacher: User, fmt: str) -> None:
    original = photo_with_location(fmt)
    assert has_location(original)
    client.force_login(teacher)
    response = upload(client, conversation_4b, original, name=f"IMG_0001.{fmt.lower()}",
                      no_pupils="1")
    assert response.status_code == 201, response.content
    served = client.get(response.json()["url"])
    assert served["Cache-Control"] == "private, no-store"
    clean = read(served)
    assert not has_location(clean)
    with Image.open(io.BytesIO(clean)) as image:
        assert image.format == fmt
        assert image.size == (48, 64)  # the orientation tag was applied, then dropped
    assert response.json()["thumbnail_url"]


def test_the_type_is_decided_by_content_not_by_name(client: Client, conversation_4b: Conversation,
                                                    teacher: User) -> None:
    client.force_login(teacher)
    pdf = upload(client, conversation_4b, b"%PDF-1.7\n...", name="holiday.jpg")
    assert pdf.status_code == 201 and pdf.json()["kind"] == "pdf"
    assert pdf.json()["name"] == "holiday.pdf"
    html = upload(client, conversation_4b, b"<html><script>alert(1)</script>", name="a.png",
                  no_pupils="1")
    assert html.status_code == 400 and html.json()["code"] == "file_type"
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, format="GIF")
    assert upload(client, conversation_4b, gif.getvalue(), name="a.jpg",
                  no_pupils="1").json()["code"] == "file_type"


def test_a_file_over_the_limit_gets_a_clear_error(client: Client, conversation_4b: Conversation,
                                                  teacher: User, settings: Settings) -> None:
    settings.SCHOOLCHAT_ATTACHMENT_MAX_BYTES = 1024 * 1024
    client.force_login(teacher)
    response = upload(client, conversation_4b, b"%PDF-" + b"0" * (2 * 1024 * 1024))
    assert response.status_code == 400
    assert response.json()["error"] == "This file is 2.0 MB; the limit is 1.0 MB."
    assert not Attachment.objects.exists()


# --- consent tags -------------------------------------------------------------------------------
def test_a_photo_needs_tags_or_a_statement_that_nobody_is_identifiable(client: Client,
                                                                       conversation_4b: Conversation,
                                                                       teacher: User) -> None:
    client.force_login(teacher)
    response = upload(client, conversation_4b, photo_with_location())
    assert response.status_code == 400 and response.json()["code"] == "tags_required"


def test_a_photo_of_a_pupil_without_photo_consent_is_refused_with_reasons(
        client: Client, conversation_4b: Conversation, teacher: User, emma: Pupil, school: School) -> None:
    consent_actions.ensure_purposes(school)
    client.force_login(teacher)
    response = upload(client, conversation_4b, photo_with_location(), pupils=[emma.pk])
    assert response.status_code == 400
    assert response.json()["code"] == "no_photo_consent"
    assert emma.first_name in response.json()["error"]
    assert not Attachment.objects.exists()


def test_a_tagged_photo_with_consent_is_sent_and_archived(client: Client, conversation_4b: Conversation,
                                                          teacher: User, emma: Pupil,
                                                          photo_consent: None) -> None:
    client.force_login(teacher)
    token = upload(client, conversation_4b, photo_with_location(),
                   pupils=[emma.pk]).json()["token"]
    url = reverse("messaging:conversation", args=[conversation_4b.pk])
    assert client.post(url, {"body": "Sports day!", "attachments": [token]}).status_code == 302
    attachment = Attachment.objects.get(token=token)
    assert attachment.message is not None and attachment.message.body == "Sports day!"
    record = Record.objects.get(kind="attachment.added")
    assert record.payload.content["pupils"] == [emma.pk]
    assert record.payload.content["sha256"] == attachment.sha256


# --- who sees it --------------------------------------------------------------------------------
@pytest.fixture
def sent_photo(conversation_4b: Conversation, teacher: User, settings: Settings,
               tmp_path: Path) -> Attachment:
    from messaging.actions.attachments import upload as store

    attachment = store(teacher, conversation_4b,
                       SimpleUploadedFile("p.jpg", photo_with_location()),
                       no_identifiable_pupils=True)
    send_actions.post_message(teacher, conversation_4b, "", attachments=[attachment])
    attachment.refresh_from_db()
    return attachment


@pytest.mark.parametrize(("persona", "status"), [("teacher", 200), ("parent", 200),
                                                 ("parent_5a", 404), ("admin", 404),
                                                 ("dpo", 404)])
def test_only_members_get_the_file(client: Client, request: pytest.FixtureRequest, sent_photo: Attachment,
                                   persona: str, status: int) -> None:
    client.force_login(request.getfixturevalue(persona))
    for name in ("messaging:attachment", "messaging:attachment_thumbnail"):
        response = client.get(reverse(name, args=[sent_photo.token]))
        assert response.status_code == status
        if status == 200:
            assert response["Cache-Control"] == "private, no-store"


def test_an_anonymous_visitor_is_sent_to_log_in(client: Client, sent_photo: Attachment) -> None:
    response = client.get(reverse("messaging:attachment", args=[sent_photo.token]))
    assert response.status_code == 302


def test_urls_carry_a_long_random_token_not_a_number(sent_photo: Attachment, conversation_4b: Conversation,
                                                     teacher: User) -> None:
    from messaging.actions.attachments import upload as store
    from messaging.attachments import summary

    other = store(teacher, conversation_4b, SimpleUploadedFile("a.pdf", b"%PDF-1.4"))
    assert len(sent_photo.token) >= 40 and sent_photo.token != other.token
    assert summary(sent_photo)["url"] == f"/a/{sent_photo.token}"
    assert sent_photo.file.name is not None
    assert sent_photo.file.name.endswith(f"{sent_photo.token}.jpg")  # no uploader's file name


def test_an_upload_not_yet_sent_is_visible_to_its_uploader_only(client: Client, conversation_4b: Conversation,
                                                                 teacher: User, parent: User) -> None:
    client.force_login(teacher)
    token = upload(client, conversation_4b, b"%PDF-1.4").json()["token"]
    assert client.get(reverse("messaging:attachment", args=[token])).status_code == 200
    client.force_login(parent)
    assert client.get(reverse("messaging:attachment", args=[token])).status_code == 404


def test_someone_elses_upload_cannot_be_sent(conversation_4b: Conversation, teacher: User,
                                             parent: User) -> None:
    from django.core.exceptions import ValidationError

    from messaging.actions.attachments import upload as store
    from messaging.attachments import claimable

    attachment = store(teacher, conversation_4b, SimpleUploadedFile("a.pdf", b"%PDF-1.4"))
    with pytest.raises(ValidationError):
        claimable(parent, [attachment.token])


def test_outsiders_cannot_upload(client: Client, conversation_4b: Conversation, parent_5a: User,
                                 announcements: Conversation, parent: User) -> None:
    client.force_login(parent_5a)
    assert upload(client, conversation_4b, b"%PDF-1.4").status_code == 404
    client.force_login(parent)
    assert upload(client, announcements, b"%PDF-1.4").status_code == 403


# --- consent withdrawn --------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
async def test_withdrawing_photo_consent_hides_the_photo_live_and_later(
        conversation_4b: Conversation, teacher: User, parent: User, emma: Pupil, photo_consent: None,
        settings: Settings, tmp_path: Path, client: Client) -> None:
    from messaging.actions.attachments import upload as store

    def send() -> Attachment:
        photo = store(teacher, conversation_4b, SimpleUploadedFile("p.jpg",
                                                                   photo_with_location()),
                      pupils=[emma])
        send_actions.post_message(teacher, conversation_4b, "Look!", attachments=[photo])
        return photo

    photo = await database_sync_to_async(send)()
    socket = await connect(teacher)
    await subscribe(socket, conversation_4b)
    events = await receive_until(socket, "subscribed")
    assert events[0]["attachments"][0]["token"] == photo.token
    await database_sync_to_async(consent_actions.decide)(parent, emma, consent.PHOTOS_CLASS,
                                                         "withdrawn")
    hidden = (await receive_until(socket, "attachment_hidden"))[-1]
    assert hidden["attachment"] == photo.token and hidden["seq"] == 2
    await socket.disconnect()

    def later_views() -> None:
        client.force_login(teacher)
        assert client.get(reverse("messaging:attachment", args=[photo.token])).status_code == 404
        html = client.get(reverse("messaging:conversation", args=[conversation_4b.pk]))
        assert "hidden: consent withdrawn" in html.content.decode()
        assert Event.objects.filter(kind="attachment_hidden").count() == 1
        assert Record.objects.filter(kind="attachment.hidden").exists()

    await database_sync_to_async(later_views)()
    # A reconnecting tab replays the photo as hidden.
    socket = await connect(parent)
    await subscribe(socket, conversation_4b)
    replay = await receive_until(socket, "subscribed")
    assert replay[0]["attachments"] == [{"token": photo.token, "hidden": True}]
    assert replay[1]["type"] == "attachment_hidden"
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_photo_message_over_the_socket_carries_its_attachment(conversation_4b: Conversation,
                                                                      teacher: User, parent: User) -> None:
    from messaging.actions.attachments import upload as store

    photo = await database_sync_to_async(store)(
        teacher, conversation_4b, SimpleUploadedFile("p.png", photo_with_location("PNG")),
        no_identifiable_pupils=True)
    teacher_socket, parent_socket = await connect(teacher), await connect(parent)
    await subscribe(parent_socket, conversation_4b)
    await receive_until(parent_socket, "subscribed")
    await teacher_socket.send_json_to({"type": "send", "conversation": conversation_4b.pk,
                                       "client_id": str(uuid.uuid4()), "body": "",
                                       "attachments": [photo.token]})
    assert (await receive_until(teacher_socket, "ack"))[-1]["type"] == "ack"
    live = (await receive_until(parent_socket, "message"))[-1]
    assert live["attachments"][0]["token"] == photo.token
    assert live["attachments"][0]["url"].startswith("/a/")
    # A second send cannot reuse the same upload.
    await teacher_socket.send_json_to({"type": "send", "conversation": conversation_4b.pk,
                                       "client_id": str(uuid.uuid4()), "body": "again",
                                       "attachments": [photo.token]})
    error = await teacher_socket.receive_json_from()
    assert error["code"] == "attachment_missing"
    await teacher_socket.disconnect()
    await parent_socket.disconnect()


def test_retracting_a_message_takes_its_files_down(client: Client, sent_photo: Attachment, teacher: User,
                                                   parent: User) -> None:
    assert sent_photo.message is not None
    edit.retract_message(teacher, sent_photo.message)
    client.force_login(parent)
    assert client.get(reverse("messaging:attachment", args=[sent_photo.token])).status_code == 404
    assert Record.objects.filter(kind="attachment.added").exists()  # the archive keeps it


def test_the_tag_list_offers_the_class_pupils_to_posting_members_only(client: Client,
                                                                      conversation_4b: Conversation,
                                                                      emma: Pupil, parent_5a: User,
                                                                      announcements: Conversation,
                                                                      teacher: User) -> None:
    client.force_login(teacher)
    pupils = client.get(reverse("messaging:class_pupils", args=[conversation_4b.pk])).json()
    assert [p["id"] for p in pupils["pupils"]] == [emma.pk]
    assert pupils["pupils"][0]["name"] == f"{emma.first_name} {emma.last_name[0]}."
    client.force_login(parent_5a)
    assert client.get(reverse("messaging:class_pupils",
                              args=[conversation_4b.pk])).status_code == 404
