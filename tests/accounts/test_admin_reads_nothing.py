"""The school admin reads no conversation it is not a member of, by any route it can reach.

Personas: ``admin`` manages the school and is in no conversation; ``teacher`` and ``parent``
talk in the 4B class group and in the "Trip helpers" group, which the admin manages (a group
admins may add members to, unlike a class group). Every route that could show what they wrote
is tried: the conversation pages and their JSON, messages' side pages, attachments, search,
the member lists, the archive and its exports, and the websocket. None may show a word of it.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from accounts.models import School, User
from messaging.actions import membership, send
from messaging.actions.groups import add_group_member
from messaging.consumers import ChatConsumer
from messaging.models import Conversation, Membership
from tests.messaging.images import photo_with_location

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse


pytestmark = pytest.mark.django_db

SECRET = "Emma's asthma inhaler is in the blue bag"
WORDS = ["asthma", "inhaler", "blue bag"]


@pytest.fixture(autouse=True)
def _media(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def talk(conversation_4b: Conversation, teacher: User, parent: User, admin: User,
         school: School) -> dict[str, dict[str, Any]]:
    from messaging.actions.attachments import upload as store

    helpers = Conversation.objects.create(school=school, kind=Conversation.Kind.GROUP,
                                          title="Trip helpers")
    membership.add_member(helpers, teacher, actor=admin, manager=True)
    membership.add_member(helpers, parent, actor=admin)
    found: dict[str, dict[str, Any]] = {}
    for conversation in (conversation_4b, helpers):
        message, _ = send.post_message(parent, conversation, SECRET)
        attachment = store(teacher, conversation, SimpleUploadedFile("p.jpg",
                           photo_with_location()), no_identifiable_pupils=True)
        photo, _ = send.post_message(teacher, conversation, "asthma plan photo",
                                        attachments=[attachment])
        attachment.refresh_from_db()
        found[conversation.kind] = {"conversation": conversation, "message": message,
                                    "photo": photo, "attachment": attachment}
    return found


def shows_nothing(response: TestResponse) -> bool:
    # A download streams: getvalue() joins its streaming_content.
    body = cast(StreamingHttpResponse, response).getvalue() if response.streaming else response.content
    text = body.decode(errors="replace").lower()
    return not any(word in text for word in WORDS)


@pytest.mark.parametrize("kind", ["class", "group"])
def test_no_conversation_route_shows_the_admin_a_word(client: Client, admin: User,
                                                      talk: dict[str, dict[str, Any]], kind: str) -> None:
    conversation = talk[kind]["conversation"]
    message, attachment = talk[kind]["message"], talk[kind]["attachment"]
    c, m = conversation.pk, message.pk
    client.force_login(admin)
    refused = [
        ("get", reverse("messaging:conversation", args=[c]), {}),
        ("post", reverse("messaging:conversation", args=[c]),
         {"body": "hello", "client_id": str(uuid.uuid4())}),
        ("get", reverse("messaging:messages", args=[c]), {}),
        ("get", reverse("messaging:messages", args=[c]), {"after_seq": 0}),
        ("get", reverse("messaging:events", args=[c]), {"after_seq": 0}),
        ("get", reverse("messaging:receipts", args=[c, m]), {}),
        ("get", reverse("messaging:acknowledgements", args=[c, m]), {}),
        ("get", reverse("messaging:reply_privately", args=[c, m]), {}),
        ("post", reverse("messaging:edit", args=[c, m]), {"body": "changed"}),
        ("post", reverse("messaging:retract", args=[c, m]), {}),
        ("post", reverse("messaging:pin", args=[c, m]), {}),
        ("post", reverse("messaging:acknowledge", args=[c, m]), {}),
        ("post", reverse("messaging:react", args=[c, m]), {"emoji": "👍"}),
        ("get", reverse("messaging:reactions", args=[c, m]), {}),
        ("get", reverse("messaging:class_pupils", args=[c]), {}),
        ("post", reverse("messaging:upload", args=[c]),
         {"file": SimpleUploadedFile("p.jpg", photo_with_location())}),
        ("get", reverse("messaging:attachment", args=[attachment.token]), {}),
        ("get", reverse("messaging:attachment_thumbnail", args=[attachment.token]), {}),
        ("get", reverse("archive:search"), {"text": "asthma"}),
        ("get", reverse("archive:search"), {"conversation": c}),
        ("post", reverse("archive:search_export") + "?text=asthma", {}),
        ("get", reverse("archive:home"), {}),
        ("get", reverse("archive:exports"), {}),
        ("post", reverse("archive:exports"), {"person": talk[kind]["message"].sender_id}),
        ("get", reverse("archive:holds"), {}),
        ("get", reverse("archive:audit"), {}),
        ("get", reverse("archive:retention"), {}),
    ]
    for method, url, data in refused:
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url)
        assert shows_nothing(response), (method, url)
    message.refresh_from_db()
    assert message.body == SECRET and message.retracted_at is None and not message.pinned_at
    # The pages the admin does reach show who is in, never what was said.
    reached = [reverse("messaging:members", args=[c]), reverse("messaging:inbox"),
               reverse("accounts:school_home"),
               reverse("messaging:school_groups")]
    if kind == "group":
        reached.append(reverse("messaging:school_group", args=[c]))
    for url in reached:
        response = client.get(url)
        assert response.status_code == 200, url
        assert shows_nothing(response), url
    # The search box echoes the query; its results are empty.
    assert client.get(reverse("messaging:search"), {"q": "asthma"}).context["results"] == []


def test_the_admin_cannot_add_themselves_to_a_group_it_manages(client: Client, admin: User,
                                                               talk: dict[str, dict[str, Any]]) -> None:
    helpers = talk["group"]["conversation"]
    client.force_login(admin)
    response = client.post(reverse("messaging:school_group", args=[helpers.pk]),
                           {"user": admin.pk})
    assert response.status_code == 200 and "user" in response.context["form"].errors
    assert not Membership.objects.filter(conversation=helpers, user=admin).exists()
    assert client.get(reverse("messaging:conversation", args=[helpers.pk])).status_code == 404


def test_a_teacher_manager_adds_the_admin_who_then_reads_as_a_member(admin: User, teacher: User,
                                                                     talk: dict[str, dict[str, Any]]) -> None:
    """The honest way in: a manager adds the admin, the members see it happen."""
    helpers = talk["group"]["conversation"]
    client = Client()
    client.force_login(teacher)
    client.post(reverse("messaging:school_group", args=[helpers.pk]), {"user": admin.pk})
    assert Membership.objects.filter(conversation=helpers, user=admin,
                                     ended_at__isnull=True).exists()
    client.force_login(admin)
    assert client.get(reverse("messaging:conversation", args=[helpers.pk])).status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["class", "group"])
async def test_the_websocket_shows_the_admin_nothing(admin: User, talk: dict[str, dict[str, Any]],
                                                     kind: str) -> None:
    from channels.testing import WebsocketCommunicator

    conversation, message = talk[kind]["conversation"], talk[kind]["message"]
    communicator = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/")
    communicator.scope["user"] = admin
    connected, _code = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from())["type"] == "hello"
    frames = [
        {"type": "subscribe", "conversation": conversation.pk, "after_seq": 0},
        {"type": "seen", "conversation": conversation.pk, "message": message.pk},
        {"type": "edit", "conversation": conversation.pk, "message": message.pk, "body": "x"},
        {"type": "pin", "conversation": conversation.pk, "message": message.pk},
    ]
    for frame in frames:
        await communicator.send_json_to(frame)
    received = []
    while not await communicator.receive_nothing(timeout=0.5):
        received.append(await communicator.output_queue.get())
    await communicator.disconnect()
    assert received, "every frame gets an answer"
    text = " ".join(str(frame) for frame in received).lower()
    assert not any(word in text for word in WORDS)
    assert "not_found" in text and "subscribed" not in text


def test_the_action_itself_refuses_an_admin_adding_themselves(admin: User,
                                                              talk: dict[str, dict[str, Any]]) -> None:
    """Not only the page: any caller of the action meets the same refusal."""
    helpers = talk["group"]["conversation"]
    with pytest.raises(PermissionDenied):
        add_group_member(helpers, admin, actor=admin)
    assert not Membership.objects.filter(conversation=helpers, user=admin).exists()
