"""Events as bytes on the wire: encoded once per process, written straight to the socket.

Fan-out is the hot path of a chat server: at 20 messages a second in a class of 200, a process
writes 4,000 frames a second. Through Channels and daphne each frame costs a ``json.dumps``,
five layers of coroutines (consumer, session wrapper, daphne's ``handle_reply``, autobahn's
framing) and Twisted's write, which registers the socket with the event loop and sends on the
next turn; that is about 250 µs a frame in Python, and it capped a process at roughly 4,000
frames a second (docs/performance.md). Every member of a conversation receives the same bytes,
so this module encodes an event once (:class:`Frame`), and :func:`direct_writer` writes those
bytes to a socket's TCP transport at once when nothing is queued before them.

The direct path is taken only when it is exactly what daphne would have done: a plain-TCP
websocket in the open state with no extension negotiated (no compression) and nothing buffered
in Twisted. Anything else (TLS, a test communicator, an unknown server) uses the ordinary
Channels send. Twisted's buffer for a socket that stops reading is bounded: past
``SCHOOLCHAT_SOCKET_BUFFER_BYTES`` the writer reports overflow and the consumer closes the
socket, which resumes by ``seq`` when it reconnects (memory never grows with a slow client).
"""

from __future__ import annotations

import functools
import json
import logging
import re
import struct
from collections.abc import Callable
from typing import Any

from autobahn.websocket.protocol import WebSocketProtocol  # daphne's websocket protocol

log = logging.getLogger(__name__)


class Frame:
    """An event's JSON text and its websocket text frame (server to client: unmasked)."""

    __slots__ = ("_data", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._data: bytes | None = None

    @classmethod
    def of(cls, event: dict[str, Any]) -> Frame:
        return cls(json.dumps(event))

    @classmethod
    def shared(cls, event: dict[str, Any], text: str | None = None) -> Frame:
        """The bytes every socket of a channel gets: ``text`` (the event's JSON as published)
        when at hand, and never an internal key (one starting with ``_``: the consumers read
        those, browsers never see them)."""
        if any(key.startswith("_") for key in event):
            return cls.of({k: v for k, v in event.items() if not k.startswith("_")})
        return cls(text) if text is not None else cls.of(event)

    @property
    def data(self) -> bytes:
        if self._data is None:
            payload = self.text.encode()
            size = len(payload)
            if size < 126:
                header = struct.pack("!BB", 0x81, size)
            elif size < 1 << 16:
                header = struct.pack("!BBH", 0x81, 126, size)
            else:
                header = struct.pack("!BBQ", 0x81, 127, size)
            self._data = header + payload
        return self._data


# Writes a frame; returns False when the socket is closed or its buffer overflowed.
Writer = Callable[[Frame], bool]


def _daphne_protocol(send: Any) -> Any:
    """The daphne ``WebSocketProtocol`` behind a consumer's ``base_send``, or None.

    Channels' session middleware wraps daphne's send (``partial(server.handle_reply,
    protocol)``) in a bound method whose object keeps it as ``real_send``.
    """
    for _ in range(4):  # a few wrapper layers at most
        if isinstance(send, functools.partial):
            handler = getattr(send.func, "__func__", None)
            if getattr(handler, "__qualname__", "") == "Server.handle_reply" and send.args:
                return send.args[0]
            return None
        owner = getattr(send, "__self__", None)
        send = getattr(owner, "real_send", None)
        if send is None:
            return None
    return None


def direct_writer(send: Any, buffer_limit: int) -> Writer | None:
    """A writer straight to the TCP transport under ``send``, when that is safe; else None."""
    protocol = _daphne_protocol(send)
    if not isinstance(protocol, WebSocketProtocol):
        return None
    if getattr(protocol, "websocket_extensions_in_use", None):
        return None  # compressed frames are not the bytes we encode
    transport = getattr(protocol, "transport", None)
    required = ("writeSomeData", "dataBuffer", "offset", "_tempDataBuffer", "_tempDataLen")
    if transport is None or getattr(transport, "TLS", True) or not all(
            hasattr(transport, name) for name in required):
        return None
    opened = WebSocketProtocol.STATE_OPEN

    def write(frame: Frame) -> bool:
        if protocol.state != opened or not transport.connected or transport.disconnecting:
            return False
        data = frame.data
        pending = len(transport.dataBuffer) - transport.offset + transport._tempDataLen
        if pending:
            # Bytes are queued ahead of this frame: keep the order, within the bound.
            if pending + len(data) > buffer_limit:
                return False
            transport.write(data)
            return True
        sent = transport.writeSomeData(data)
        if not isinstance(sent, int):  # the connection is lost; Twisted reports it itself
            return False
        if sent < len(data):
            transport.write(data[sent:])  # the rest when the socket can take it
        return True

    return write


class FrameRefused(ValueError):
    """A browser frame that is not parsed: ``code`` is ``too_large`` or ``malformed``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# A JSON string (with its escapes) or one bracket: strings are skipped when measuring depth.
_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.S)


def json_depth(text: str, limit: int) -> int:
    """How deep arrays and objects nest in ``text``, counted up to ``limit + 1`` at most."""
    if text.count("[") + text.count("{") <= limit:
        return 0  # too few brackets to nest past the limit (the usual frame)
    depth = deepest = 0
    for match in _STRUCTURE.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return depth
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def decode_frame(text: str, *, max_bytes: int, max_depth: int) -> Any:
    """A browser's JSON frame, parsed within bounds of size and nesting.

    Python's parser recurses once per level, so ``"[" * 100000`` would otherwise end in a
    ``RecursionError``; and a frame far larger than any real message only costs memory.
    Raises :class:`FrameRefused`.
    """
    if len(text) > max_bytes or (len(text) * 4 > max_bytes
                                 and len(text.encode("utf-8", "surrogatepass")) > max_bytes):
        raise FrameRefused("too_large")
    if json_depth(text, max_depth) > max_depth:
        raise FrameRefused("malformed")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise FrameRefused("malformed") from None


def frame_int(value: Any) -> int | None:
    """A non-negative integer field of a browser's frame (an id, a seq), else None."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value
