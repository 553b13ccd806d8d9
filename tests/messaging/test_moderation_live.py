"""The school's moderation against a live server on a committing database, in a school made
with ``create_school``: a held message stays its sender's until a lead releases it, a removed
message reads "Removed by the school" while the archive keeps it, and a restricted parent's
form is refused with the school's words."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from accounts.actions.people import create_account
from accounts.actions.schools import create_school
from accounts.models import Role, User
from archive.models import Record
from messaging.actions import direct, moderation, send
from messaging.models import Message
from tests.fault.chat_client import open_socket, session_cookie
from tests.http import LiveClient
from tests.live import daphne_servers
from tests.messaging.moderation import screened

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["screened"]  # fixture


def _people() -> tuple[User, User, User]:
    school, _ = create_school("De Regenboog", slug="regenboog")
    made = [create_account(school, actor=None, username=u, display_name=n, role=r)
            for u, n, r in (("mirjam", "Juf Mirjam", Role.TEACHER),
                            ("anna", "Anna de Boer", Role.PARENT),
                            ("veilig", "Meneer Veilig", Role.SAFEGUARDING))]
    User.objects.filter(school=school).update(is_active=True)  # they followed their invitations
    teacher, parent, lead = (User.objects.get(pk=u.pk) for u in made)
    return teacher, parent, lead


def test_held_removed_and_restricted_through_the_live_server(
        live_server: LiveServer, screened: None) -> None:
    teacher, parent, lead = _people()
    chat = direct.direct_conversation(teacher, parent)
    path = f"/c/{chat.pk}/"
    anna = LiveClient(live_server.url, parent)
    juf = LiveClient(live_server.url, teacher)

    posted = anna.post(path, {"body": "Meet me at the gate", "client_id": str(uuid.uuid4())})
    assert posted.status == 200, posted.text[:2000]
    held = Message.objects.get(sender=parent)
    assert held.is_held
    mine = anna.get(path).text
    assert "Meet me at the gate" in mine and "Waiting for review by the school" in mine
    assert "Meet me at the gate" not in juf.get(path).text
    assert "Meet me at the gate" not in juf.get("/").text

    moderation.release_message(by=lead, message=held)
    assert "Meet me at the gate" in juf.get(path).text

    sent = juf.post(path, {"body": "Something unkind", "client_id": str(uuid.uuid4())})
    assert sent.status == 200, sent.text[:2000]
    unkind = Message.objects.get(sender=teacher)
    moderation.remove_message(by=lead, message=unkind, reason="Unkind")
    page = anna.get(path).text
    assert "Removed by the school" in page and "Something unkind" not in page
    record = Record.objects.get(kind="message.removed")
    assert record.payload.content["body"] == "Something unkind"

    moderation.restrict_member(by=lead, user=parent, until=timezone.now() + timedelta(days=3),
                               reason="Threats")
    page = anna.get(path).text
    assert "You can read but not send messages until" in page and 'id="composer"' not in page
    refused = anna.post(path, {"body": "still here", "client_id": str(uuid.uuid4())})
    assert refused.status == 400 and "by decision of the school" in refused.text
    assert Message.objects.filter(sender=parent).count() == 1


async def _until(socket: Any, kind: str, timeout: float = 15) -> list[str]:
    """The raw frames up to and including the first of ``kind``."""
    frames: list[str] = []
    while True:
        text = await asyncio.wait_for(socket.recv(), timeout=timeout)
        frames.append(str(text))
        if json.loads(text).get("type") == kind:
            return frames


async def test_a_held_message_reaches_its_senders_other_tab_through_daphne(
        tmp_path: Path, screened: None) -> None:
    """Through a real daphne process (the direct writer, the hub of another process): the
    sender's two tabs show the held message, the other member's tab gets a plain skip's
    bytes; released, each tab gets the message once."""
    teacher, parent, lead = await database_sync_to_async(_people)()
    chat = await database_sync_to_async(direct.direct_conversation)(teacher, parent)
    anna = await database_sync_to_async(session_cookie)(parent)
    mirjam = await database_sync_to_async(session_cookie)(teacher)
    with daphne_servers(1, tmp_path) as (daphne,):
        sockets = [(await open_socket(daphne.port, c))[0] for c in (anna, anna, mirjam)]
        for socket in sockets:
            await socket.send(json.dumps({"type": "subscribe", "conversation": chat.pk,
                                          "after_seq": 0}))
            await _until(socket, "subscribed")
        held, _ = await database_sync_to_async(send.post_message)(
            parent, chat, "Meet me at the gate")
        for socket in sockets[:2]:
            shown = json.loads((await _until(socket, "message"))[-1])
            assert (shown["id"], shown["seq"], shown["held"], shown["body"]) == (
                held.pk, 1, True, "Meet me at the gate")
        frames = await _until(sockets[2], "skip")
        assert frames == [json.dumps({"type": "skip", "conversation": chat.pk, "seq": 1})]

        await database_sync_to_async(moderation.release_message)(by=lead, message=held)
        for socket in sockets:
            frames = await _until(socket, "message")
            events = [json.loads(f) for f in frames]
            assert [(e["type"], e["id"], e["seq"], e.get("held")) for e in events] == [
                ("message", held.pk, 2, None)]
        for socket in sockets:
            await socket.close()
