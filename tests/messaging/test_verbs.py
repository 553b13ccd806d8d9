"""The one table of verbs (messaging/verbs.py): every verb is a socket frame and a page's
route, and checks a rule that is registered."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.urls import resolve, reverse

from accounts import access
from messaging import frames
from messaging.verbs import VERBS, Malformed, Verb, VerbFrame


@pytest.mark.parametrize("verb", VERBS, ids=lambda verb: verb.name)
def test_each_verb_is_a_frame_and_a_route_with_a_registered_rule(verb: Verb[Any, Any]) -> None:
    assert verb.rule in access.known_actions()
    frame = {"type": verb.name, "conversation": 12, "id": 311, "seq": 44}
    parsed = frames.parse(frame)
    assert isinstance(parsed, VerbFrame) and parsed.verb is verb and parsed.conversation == 12
    url = reverse(f"messaging:{verb.url_name}", args=[12, 311] if verb.on_message else [12])
    assert resolve(url).kwargs["verb"] is verb


def test_a_send_frame_is_parsed_once_into_its_type() -> None:
    client_id = uuid.uuid4()
    parsed = frames.parse({"type": "send", "conversation": 12, "client_id": str(client_id),
                           "body": "Swimming is on Tuesday", "reply_to": "x", "urgent": 1,
                           "attachments": ["a", "b"]})
    assert parsed == frames.Send(12, client_id, "Swimming is on Tuesday", reply_to=0,
                                 urgent=False, attachments=("a", "b"))


@pytest.mark.parametrize("frame", [
    {"type": "edit", "conversation": 12}, {"type": "seen", "conversation": 12},
    {"type": "retract", "id": 3}, {"type": "subscribe"}, [1], {"type": None},
])
def test_what_cannot_be_read_is_refused_in_words(frame: object) -> None:
    with pytest.raises(Malformed) as refused:
        frames.parse(frame)
    assert refused.value.code in ("malformed", "unknown_type") and refused.value.text
