"""The lead's queue socket hears that something changed, after the commit, and only the
school's own leads hear it."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import User
from messaging.actions import send
from messaging.models import Conversation
from safeguarding import actions
from safeguarding.consumers import QueueConsumer

pytestmark = pytest.mark.django_db(transaction=True)


async def _open(user: User) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(QueueConsumer.as_asgi(), "/ws/safeguarding/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    assert await communicator.receive_json_from() == {"type": "hello"}
    return communicator


async def test_a_report_tells_the_schools_leads_and_no_one_else(
        conversation_4b: Conversation, teacher: User, parent: User, lead: User,
        other_lead: User) -> None:
    mine, theirs = await _open(lead), await _open(other_lead)
    message, _ = await database_sync_to_async(send.post_message)(teacher, conversation_4b,
                                                                 "Unkind words")
    await database_sync_to_async(actions.report_message)(parent, message, reason="bullying")
    assert await mine.receive_json_from(timeout=2) == {"type": "safeguarding_queue"}
    assert await theirs.receive_nothing(timeout=0.5)
    await mine.disconnect()
    await theirs.disconnect()


async def test_the_queue_socket_closes_when_the_leads_account_is_closed(lead: User) -> None:
    from messaging import hub

    communicator = await _open(lead)
    hub.get_hub().disconnect_user(lead.pk, session_key="another-session")
    assert await communicator.receive_nothing(timeout=0.3)
    hub.get_hub().disconnect_user(lead.pk)
    assert (await communicator.receive_output(timeout=2))["type"] == "websocket.close"
