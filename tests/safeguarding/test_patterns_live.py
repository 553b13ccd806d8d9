"""The school's words and patterns managed through real daphne processes on a committing
database, in a school made with ``create_school``: the lead changes the list on one server,
and a message sent through another server (another process, which has screened messages
before) is screened with the list as it is now."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accounts.actions.people import create_account
from accounts.actions.schools import create_school
from accounts.models import Role, User
from archive.models import Record
from messaging.actions import membership
from messaging.models import Conversation, Message
from safeguarding.models import Flag, Pattern
from tests.fault.chat_client import open_socket, session_cookie
from tests.http import LiveClient
from tests.live import Server, daphne_servers

pytestmark = pytest.mark.django_db(transaction=True)

PAGE = "/safeguarding/patterns/"


@pytest.fixture
def servers(transactional_db: None, tmp_path: Path) -> Iterator[list[Server]]:
    with daphne_servers(2, tmp_path) as running:
        yield running


def _people() -> dict[str, User]:
    school, _ = create_school("De Regenboog", slug="regenboog")
    people = {u: create_account(school, actor=None, username=u, display_name=n, role=r)
              for u, n, r in (("mirjam", "Juf Mirjam", Role.TEACHER),
                              ("anna", "Anna de Boer", Role.PARENT),
                              ("veilig", "Meneer Veilig", Role.SAFEGUARDING),
                              ("privacy", "Mevrouw Privé", Role.DPO))}
    User.objects.filter(school=school).update(is_active=True)
    return {u: User.objects.get(pk=p.pk) for u, p in people.items()}


def _send(client: LiveClient, conversation: Conversation, body: str) -> Message:
    page = f"/c/{conversation.pk}/"
    answer = client.post(page, {"body": body})
    assert answer.status == 200, answer.text[:500]
    return Message.objects.get(conversation=conversation, body=body)


def test_the_lead_changes_the_list_and_the_next_message_follows_it_in_another_process(
        servers: list[Server]) -> None:
    people = _people()
    school = people["veilig"].school
    assert school is not None
    group = Conversation.objects.create(school=school, kind=Conversation.Kind.GROUP,
                                        title="Ouders 4B")
    for member in ("mirjam", "anna"):
        membership.add_member(group, people[member], actor=None)
    first, second = servers
    lead = LiveClient(first.url, people["veilig"])
    mirjam = LiveClient(second.url, people["mirjam"])

    # The second process screens a message before the change: nothing to flag yet.
    before = _send(mirjam, group, "Wie heeft de stinkende sokken van Sam?")
    assert not Flag.objects.filter(message=before).exists()

    refused = lead.post(PAGE, {"add-language": "nl", "add-category": "bullying",
                               "add-kind": "regex", "add-text": "stinkende (sokken"})
    assert refused.status == 400 and "does not work" in refused.text
    assert 'value="stinkende (sokken"' in refused.text
    added = lead.post(PAGE, {"add-language": "nl", "add-category": "bullying",
                             "add-kind": "words", "add-text": "stinkende sokken"})
    assert added.status == 200 and added.url.endswith(PAGE)
    assert "The pattern is added" in added.text and "“stinkende sokken”" in added.text
    pattern = Pattern.objects.get(school=school, text="stinkende sokken")

    after = _send(mirjam, group, "Sam en zijn stinkende sokken weer")
    assert Flag.objects.get(message=after).pattern == pattern

    porno = Pattern.objects.get(school=school, language="nl", text="porno")
    assert lead.post(f"/safeguarding/patterns/{porno.pk}/switch", form_page=PAGE).status == 200
    quiet = _send(mirjam, group, "Geen porno op school")
    assert not Flag.objects.filter(message=quiet).exists()

    tried = lead.post("/safeguarding/patterns/try", {"try-sample": "die stinkende sokken"},
                      form_page=PAGE)
    assert "1 pattern would flag it" in tried.text and "matched “stinkende sokken”" in tried.text

    deleted = lead.post(f"/safeguarding/patterns/{pattern.pk}/delete", form_page=PAGE)
    assert deleted.status == 200 and "Deleted: the words “stinkende sokken”" in deleted.text
    gone = _send(mirjam, group, "Nog meer stinkende sokken")
    assert not Flag.objects.filter(message=gone).exists()

    assert LiveClient(second.url, people["anna"]).get(PAGE).status == 404
    oversight = LiveClient(second.url, people["privacy"]).get("/safeguarding/oversight/").text
    for sentence in (
            "Meneer Veilig added the words “stinkende sokken” to the Dutch list (Bullying).",
            "Meneer Veilig switched off the words “porno” on the Dutch list (Sexual content).",
            "Meneer Veilig deleted the words “stinkende sokken” from the Dutch list (Bullying)."):
        assert sentence in oversight
    assert Record.objects.filter(scope=f"safeguarding:{school.pk}",
                                 kind__startswith="safeguarding.pattern_").count() == 3


async def _acked_in(port: int, sessionid: str, conversation: Conversation, body: str) -> float:
    """Seconds from sending ``body`` over a websocket to its ack."""
    socket, _hello = await open_socket(port, sessionid)
    try:
        client_id = str(uuid.uuid4())
        started = time.monotonic()
        await socket.send(json.dumps({"type": "send", "conversation": conversation.pk,
                                      "client_id": client_id, "body": body}))
        while True:
            frame: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 30))
            if frame.get("client_id") == client_id:
                assert frame["type"] == "ack", frame
                return time.monotonic() - started
    finally:
        await socket.close()


def test_a_pattern_that_backtracks_for_minutes_neither_holds_the_page_nor_the_sends(
        servers: list[Server]) -> None:
    """(\\w+\\s?)+# froze the process that checked it against the everyday sentences, and
    after (x+x+)+y a message of thirty x's took minutes to be acknowledged."""
    people = _people()
    school = people["veilig"].school
    assert school is not None
    group = Conversation.objects.create(school=school, kind=Conversation.Kind.GROUP,
                                        title="Ouders 4B")
    membership.add_member(group, people["anna"], actor=None)
    first, second = servers
    lead = LiveClient(first.url, people["veilig"])
    assert lead.get(PAGE).status == 200
    for text in (r"(\w+\s?)+#", r"(x+x+)+y"):
        started = time.monotonic()
        added = lead.post(PAGE, {"add-language": "en", "add-category": "bullying",
                                 "add-kind": "regex", "add-text": text}, follow=False)
        elapsed = time.monotonic() - started
        assert added.status == 302 and elapsed < 1.0, (added.status, elapsed)
        assert Pattern.objects.filter(school=school, text=text).exists()

    anna = session_cookie(people["anna"])
    for body in ("x" * 30, "x" * 3000):
        elapsed = asyncio.run(_acked_in(second.port, anna, group, body))
        assert elapsed < 1.0, (len(body), elapsed)
    assert Message.objects.filter(conversation=group).count() == 2
    assert not Flag.objects.filter(message__conversation=group).exists()
