"""The browser's frames (docs/protocol.md, "Browser → server"), parsed once, at the consumer's
edge, each into its own frozen type.

:func:`parse` turns a decoded JSON frame into a :class:`Subscribe`, :class:`Send`,
:class:`Ping`, :class:`Inbox` or a :class:`messaging.verbs.VerbFrame` (the verbs of
:data:`messaging.verbs.VERBS`: edit, retract, pin, mark_sensitive, acknowledge, react, seen), or
raises :class:`messaging.verbs.Malformed` with the ``error`` frame's code and sentence. From
here on nothing reads the raw dictionary: the consumer, the writer and ``socket_db`` take
these types. What the person typed (a body, a category) stays as sent, for the action to
judge, so the page and the socket refuse it in the same words.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from messaging import mentions, presence
from messaging.verbs import BY_NAME, Malformed, VerbFrame
from messaging.wire import frame_int


@dataclass(frozen=True, slots=True)
class Subscribe:
    conversation: int
    after_seq: int


@dataclass(frozen=True, slots=True)
class Send:
    """A ``send``: ``reply_to`` is 0 for an id that names no message (refused ``not_found``),
    None without one; ``body`` and ``sensitive`` as sent (the action judges them);
    ``mentions``: the person ids the composer inserted "@name" for, as numbers (the action
    keeps those who are members and named in the text, messaging.mentions)."""

    conversation: int
    client_id: uuid.UUID
    body: object
    reply_to: int | None = None
    urgent: bool = False
    confirm: bool = False
    ack_requested: bool = False
    attachments: tuple[str, ...] = ()
    sensitive: object = ""
    mentions: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Ping:
    """The heartbeat: None where the page said nothing (the socket keeps what it had)."""

    visible: bool | None = None
    endpoint: str | None = None


@dataclass(frozen=True, slots=True)
class Inbox:
    pass


INBOX = Inbox()
Frame = Subscribe | Send | Ping | Inbox | VerbFrame[Any, Any]


def _subscribe(content: Mapping[str, Any]) -> Subscribe:
    conversation_id = frame_int(content.get("conversation"))
    after_seq = frame_int(content.get("after_seq", 0))
    if conversation_id is None or after_seq is None:
        raise Malformed("subscribe needs conversation and after_seq.")
    return Subscribe(conversation_id, after_seq)


def _send(content: Mapping[str, Any]) -> Send:
    conversation_id = frame_int(content.get("conversation"))
    raw_client_id = content.get("client_id")
    try:
        client_id = uuid.UUID(str(raw_client_id))
    except ValueError:
        client_id = None
    if conversation_id is None or client_id is None:
        raise Malformed("send needs conversation and a UUID client_id.", client_id=raw_client_id)
    attachments = content.get("attachments") or []
    if not isinstance(attachments, list) or not all(isinstance(t, str) for t in attachments):
        raise Malformed("attachments must be a list of tokens.", client_id=str(client_id),
                        conversation=conversation_id)
    raw_reply = content.get("reply_to")
    return Send(
        conversation_id, client_id, content.get("body"),
        reply_to=None if raw_reply is None else (frame_int(raw_reply) or 0),
        urgent=content.get("urgent") is True, confirm=content.get("confirm") is True,
        ack_requested=content.get("ack_requested") is True,
        attachments=tuple(attachments), sensitive=content.get("sensitive") or "",
        mentions=mentions.clean_ids(content.get("mentions")),
    )


def _ping(content: Mapping[str, Any]) -> Ping:
    visible = content.get("visible")
    return Ping(visible if isinstance(visible, bool) else None,
                presence.clean_endpoint(content["endpoint"]) if "endpoint" in content else None)


def _inbox(_content: Mapping[str, Any]) -> Inbox:
    return INBOX


PARSERS: dict[str, Callable[[Mapping[str, Any]], Frame]] = {
    "subscribe": _subscribe,
    "send": _send,
    "ping": _ping,
    "inbox": _inbox,
    **{name: verb.parse for name, verb in BY_NAME.items()},
}


def parse(content: object) -> Frame:
    """A decoded frame as its type; raises :class:`Malformed` (``malformed``, ``unknown_type``)."""
    if not isinstance(content, dict):
        raise Malformed("Expected a JSON object.")
    kind = content.get("type")
    parser = PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        raise Malformed("Unknown message type.", code="unknown_type", ref=kind)
    return parser(content)
