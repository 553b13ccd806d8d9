"""Erasure through the live server on a committing database, in a school made with
``create_school``: the DPO records the request, reads what is kept, confirms; afterwards the
teacher's pages, the DPO's pages and the websocket's replay show only the pseudonym, and the
archive verifies."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from channels.db import database_sync_to_async
from django.core.management import call_command
from pytest_django.live_server_helper import LiveServer

from accounts.actions.people import create_account
from accounts.actions.schools import create_school
from accounts.models import Role, User
from messaging.actions import direct, send
from messaging.models import Conversation
from records import erasure
from records.models import ErasureRequest
from tests.http import LiveClient
from tests.messaging.test_consumer import connect, receive_until, subscribe

pytestmark = pytest.mark.django_db(transaction=True)

NAME, EMAIL, PHONE = "Anna de Boer", "anna@example.invalid", "+31 6 5555 0199"


def _people() -> tuple[User, User, User]:
    school, _ = create_school("De Regenboog", slug="regenboog")
    made = [create_account(school, actor=None, username=u, display_name=n, role=r, email=e,
                           phone=p)
            for u, n, r, e, p in (("mirjam", "Juf Mirjam", Role.TEACHER, "", ""),
                                  ("anna", NAME, Role.PARENT, EMAIL, PHONE),
                                  ("privacy", "Pieter Privacy", Role.DPO, "", ""))]
    User.objects.filter(school=school).update(is_active=True)  # they followed their invitations
    teacher, parent, dpo = (User.objects.get(pk=u.pk) for u in made)
    return teacher, parent, dpo


def _clean(text: str) -> None:
    for secret in (NAME, EMAIL, PHONE, "de Boer"):
        assert secret not in text, secret


def test_the_dpo_erases_a_parent_through_the_live_server(live_server: LiveServer) -> None:
    teacher, parent, dpo = _people()
    chat = direct.direct_conversation(teacher, parent)
    anna = LiveClient(live_server.url, parent)
    juf = LiveClient(live_server.url, teacher)
    privacy = LiveClient(live_server.url, dpo)
    posted = anna.post(f"/c/{chat.pk}/", {"body": "Sam is ill today",
                                           "client_id": str(uuid.uuid4())})
    assert posted.status == 200, posted.text[:2000]
    assert NAME in juf.get(f"/c/{chat.pk}/").text

    # Only the DPO reaches the erasure pages.
    assert juf.get("/archive/erasure/").status == 404
    assert anna.post("/archive/erasure/", {"person": teacher.pk}, form_page="/").status == 404

    made = privacy.post("/archive/erasure/", {"person": parent.pk, "note": "Asked by letter"})
    assert made.status == 200, made.text[:2000]  # followed to the request's page
    assert "What the school must keep" in made.text and "One-to-one chat" in made.text
    request = ErasureRequest.objects.get(person=parent)
    assert juf.post(f"/archive/erasure/{request.pk}/confirm", {}, form_page="/").status == 404
    confirmed = privacy.post(f"/archive/erasure/{request.pk}/confirm", {},
                             form_page=f"/archive/erasure/{request.pk}/")
    assert confirmed.status == 200, confirmed.text[:2000]
    request.refresh_from_db()
    assert request.state == ErasureRequest.State.ERASED
    parent.refresh_from_db()
    name = erasure.pseudonym(parent)
    assert name in confirmed.text
    _clean(confirmed.text)

    for page in (f"/c/{chat.pk}/", "/"):
        text = juf.get(page).text
        _clean(text)
    assert name in juf.get(f"/c/{chat.pk}/").text and "Sam is ill today" in juf.get(
        f"/c/{chat.pk}/").text
    for page in ("/archive/search/?text=ill", "/archive/erasure/", "/archive/audit/",
                 "/archive/holds/", "/archive/exports/"):
        text = privacy.get(page).text
        _clean(text)
    assert name in privacy.get("/archive/search/?text=ill").text
    # The erased account is closed: its old session opens nothing any more.
    gone = anna.get(f"/c/{chat.pk}/", follow=False)
    assert gone.status == 302 and "Sam is ill today" not in gone.text

    out = io.StringIO()
    call_command("verify_archive", stdout=out)
    assert "archive intact" in out.getvalue()


async def test_the_socket_replays_the_kept_message_under_the_pseudonym(
        live_server: LiveServer) -> None:
    teacher, parent, dpo = await database_sync_to_async(_people)()
    chat: Conversation = await database_sync_to_async(direct.direct_conversation)(teacher, parent)
    await database_sync_to_async(send.post_message)(parent, chat, "Sam is ill today")
    request = await database_sync_to_async(erasure.record_request)(dpo, parent)
    await database_sync_to_async(erasure.confirm)(dpo, request)
    name = await database_sync_to_async(lambda: erasure.pseudonym(User.objects.get(pk=parent.pk)))()

    socket = await connect(teacher)
    await subscribe(socket, chat, after_seq=0)
    replay = await receive_until(socket, "subscribed")
    frames = json.dumps(replay, ensure_ascii=False)
    _clean(frames)
    messages = [e for e in replay if e["type"] == "message"]
    assert messages and messages[0]["sender"]["name"] == name
    await socket.disconnect()
