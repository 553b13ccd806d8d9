"""Erasure through the live server on a committing database, in a school made with
``create_school``: the DPO records the request, reads what is kept, confirms; afterwards the
teacher's pages, the DPO's pages and the websocket's replay show only the pseudonym, and the
archive verifies."""

from __future__ import annotations

import io
import json
import uuid
from datetime import date
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.management import call_command
from django.urls import reverse
from pytest_django.live_server_helper import LiveServer

import consent
from accounts.actions.classes import create_class
from accounts.actions.enrolment import assign_staff, enrol, set_guardianship
from accounts.actions.people import create_account, create_pupil
from accounts.actions.schools import create_school
from accounts.models import Pupil, Role, User
from consent import actions as consent_actions
from messaging.actions import direct, send
from messaging.models import Attachment, Conversation
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


PUPIL_FIRST, PUPIL_LAST = "Fenna", "Kuipers"


def _pupil_world() -> dict[str, Any]:
    teacher, parent, dpo = _people()
    school = parent.school
    assert school is not None
    admin = create_account(school, actor=None, username="office", display_name="Office",
                           role=Role.ADMIN)
    User.objects.filter(pk=admin.pk).update(is_active=True)
    groep = create_class(school, "Groep 5", actor=None)
    assign_staff(teacher, groep)
    fenna = create_pupil(school, actor=None, ref="LL-0042", first_name=PUPIL_FIRST,
                         last_name=PUPIL_LAST, date_of_birth=date(2016, 5, 1))
    enrol(fenna, groep)
    set_guardianship(parent, fenna)
    consent_actions.ensure_purposes(school)
    consent_actions.decide(parent, fenna, consent.PHOTOS_CLASS, "granted")
    chat = direct.direct_conversation(teacher, parent)
    photo, _ = send.post_message(teacher, chat, "Fenna at the zoo")
    attachment = Attachment.objects.create(
        token="f" * 40, conversation=chat, uploader=teacher, kind="image",
        content_type="image/jpeg", name="zoo.jpg", size=3, sha256="0" * 64, file="zoo.jpg",
        message=photo)
    attachment.pupils.add(fenna)
    return {"teacher": teacher, "parent": parent, "dpo": dpo, "admin": User.objects.get(
        pk=admin.pk), "groep": groep, "fenna": fenna, "chat": chat}


def _no_fenna(text: str) -> None:
    for secret in (PUPIL_FIRST + " " + PUPIL_LAST, PUPIL_LAST, "LL-0042"):
        assert secret not in text, secret


def test_the_dpo_erases_a_pupil_record_through_the_live_server(live_server: LiveServer) -> None:
    world = _pupil_world()
    fenna: Pupil = world["fenna"]
    privacy = LiveClient(live_server.url, world["dpo"])
    office = LiveClient(live_server.url, world["admin"])
    anna = LiveClient(live_server.url, world["parent"])
    juf = LiveClient(live_server.url, world["teacher"])
    pupil_page = reverse("accounts:school_pupil", args=[fenna.pk])
    assert PUPIL_LAST in office.get(pupil_page).text

    # Nobody but the DPO records or confirms it.
    for outsider in (office, anna, juf):
        assert outsider.post("/archive/erasure/", {"pupil": fenna.pk},
                             form_page="/").status == 404
    made = privacy.post("/archive/erasure/", {"pupil": fenna.pk, "note": "Asked by letter"})
    assert made.status == 200, made.text[:2000]
    assert "What the school must keep" in made.text and "Consent" in made.text
    request = ErasureRequest.objects.get(pupil=fenna)
    for outsider in (office, anna, juf):
        assert outsider.post(f"/archive/erasure/{request.pk}/confirm", {},
                             form_page="/").status == 404
    fenna.refresh_from_db()
    assert fenna.last_name == PUPIL_LAST
    confirmed = privacy.post(f"/archive/erasure/{request.pk}/confirm", {},
                             form_page=f"/archive/erasure/{request.pk}/")
    assert confirmed.status == 200, confirmed.text[:2000]
    fenna.refresh_from_db()
    name = erasure.pupil_pseudonym(fenna)
    assert str(fenna) == name and fenna.date_of_birth is None
    assert name in confirmed.text
    _no_fenna(confirmed.text)

    for page in (pupil_page, reverse("accounts:school_person", args=[world["parent"].pk]),
                 reverse("accounts:school_class", args=[world["groep"].pk]),
                 reverse("accounts:school_leavers")):
        answer = office.get(page)
        assert answer.status == 200, page
        _no_fenna(answer.text)
    assert name in office.get(pupil_page).text
    _no_fenna(anna.get(reverse("consent:index")).text)
    _no_fenna(juf.get(reverse("consent:coverage", args=[world["groep"].pk])).text)
    _no_fenna(juf.get(f"/c/{world['chat'].pk}/").text)
    for page in (f"/archive/search/?pupil={fenna.pk}", "/archive/search/?text=zoo",
                 "/archive/audit/", "/archive/erasure/"):
        answer = privacy.get(page)
        assert answer.status == 200, page
        _no_fenna(answer.text)
    assert name in privacy.get(f"/archive/search/?pupil={fenna.pk}").text

    out = io.StringIO()
    call_command("verify_archive", stdout=out)
    assert "archive intact" in out.getvalue()


async def test_the_socket_replays_a_photo_of_an_erased_pupil_without_her_name(
        live_server: LiveServer) -> None:
    world = await database_sync_to_async(_pupil_world)()
    request = await database_sync_to_async(erasure.record_request)(world["dpo"], world["fenna"])
    await database_sync_to_async(erasure.confirm)(world["dpo"], request)
    for who in ("teacher", "parent"):
        socket = await connect(world[who])
        await subscribe(socket, world["chat"], after_seq=0)
        replay = await receive_until(socket, "subscribed")
        assert any(e["type"] == "message" for e in replay)
        _no_fenna(json.dumps(replay, ensure_ascii=False))
        await socket.disconnect()
