"""Frames encoded once and written straight to daphne's TCP transport (messaging.wire).

The bytes must be the websocket frames a browser expects, the direct path must find daphne's
protocol through Channels' session wrapper and keep the order of anything Twisted already
buffered, and a client that stops reading must be cut off, not buffered without end.
"""

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import pytest
from autobahn.websocket.protocol import WebSocketProtocol
from channels.sessions import InstanceSessionWrapper
from daphne.server import Server
from pytest_django.fixtures import Settings
from twisted.internet.abstract import FileDescriptor
from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode
from websockets.streams import StreamReader

from messaging import wire


def parse(data: bytes) -> list[str]:
    """Decode server-to-client frames as a browser would."""
    reader = StreamReader()
    reader.feed_data(data)
    texts = []
    while reader.buffer:
        parser = WsFrame.parse(reader.read_exact, mask=False)
        try:
            while True:
                next(parser)
        except StopIteration as done:
            frame = done.value
        assert frame.opcode is Opcode.TEXT and frame.fin
        texts.append(frame.data.decode())
    return texts


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 200_000])
def test_a_frame_is_the_websocket_text_frame_of_the_event(size: int) -> None:
    event = {"type": "message", "body": "é" * (size // 2) + "x" * (size % 2), "seq": 1}
    frame = wire.Frame.of(event)
    assert [json.loads(text) for text in parse(frame.data)] == [event]
    assert frame.data is frame.data  # encoded once, whatever the number of sockets


class Reactor:
    def addWriter(self, _fd: object) -> None:
        pass

    def removeWriter(self, _fd: object) -> None:
        pass


class Transport(FileDescriptor):
    """Twisted's buffering with a socket that takes ``room`` bytes per write."""

    TLS = False

    def __init__(self, room: int = 10**9) -> None:
        # A stand-in with the two methods FileDescriptor calls, not a whole reactor.
        super().__init__(reactor=Reactor())  # type: ignore[arg-type]
        self.connected = True
        self.room = room
        self.wire = b""

    def writeSomeData(self, data: bytes) -> int:
        taken = bytes(data[: self.room])
        self.wire += taken
        return len(taken)

    def flush(self) -> None:
        self.room = 10**9
        self.doWrite()  # type: ignore[no-untyped-call]  # Twisted leaves it unannotated


def daphne_send(transport: Transport, *, state: int = WebSocketProtocol.STATE_OPEN,
                extensions: Iterable[str] = ()) -> Callable[[dict[str, Any]], Awaitable[None]]:
    """A send callable shaped as under daphne: daphne's partial inside Channels' wrapper."""
    protocol = WebSocketProtocol()
    protocol.state = state
    # Set as daphne's connection would; autobahn declares neither attribute.
    protocol.websocket_extensions_in_use = list(extensions)  # type: ignore[attr-defined]
    protocol.transport = transport  # type: ignore[attr-defined]
    server = Server(application=None, endpoints=["tcp:port=0:interface=127.0.0.1"],
                    signal_handlers=False)  # built, never run
    real_send = functools.partial(server.handle_reply, protocol)
    wrapper = InstanceSessionWrapper({"type": "websocket", "cookies": {}}, real_send)
    send: Callable[[dict[str, Any]], Awaitable[None]] = wrapper.send
    return send


def frames(n: int) -> list[wire.Frame]:
    return [wire.Frame.of({"type": "message", "seq": i, "body": f"m{i}"}) for i in range(n)]


def test_frames_go_to_the_socket_in_order_even_when_the_socket_takes_only_part(settings: Settings) -> None:
    transport = Transport(room=30)
    write = wire.direct_writer(daphne_send(transport), buffer_limit=10_000)
    assert write is not None
    for frame in frames(5):
        assert write(frame)
    transport.flush()
    assert [json.loads(t)["seq"] for t in parse(transport.wire)] == [0, 1, 2, 3, 4]


def test_a_reader_that_stops_reading_is_cut_off_at_the_buffer_limit() -> None:
    transport = Transport(room=0)
    write = wire.direct_writer(daphne_send(transport), buffer_limit=300)
    assert write is not None
    results = [write(frame) for frame in frames(20)]
    assert results[0] and not all(results)  # some frames buffered, then overflow
    buffered = len(transport.dataBuffer) - transport.offset + transport._tempDataLen
    assert buffered <= 300


def test_a_closing_socket_takes_no_more_frames() -> None:
    transport = Transport()
    write = wire.direct_writer(daphne_send(transport, state=WebSocketProtocol.STATE_CLOSING),
                               buffer_limit=10_000)
    assert write is not None and write(frames(1)[0]) is False
    assert transport.wire == b""


def test_compressed_or_unknown_transports_use_the_ordinary_send() -> None:
    assert wire.direct_writer(daphne_send(Transport(), extensions=["permessage-deflate"]),
                              buffer_limit=10_000) is None
    tls = Transport()
    tls.TLS = True
    assert wire.direct_writer(daphne_send(tls), buffer_limit=10_000) is None

    async def other_server_send(message: dict[str, Any]) -> None:
        pass

    assert wire.direct_writer(other_server_send, buffer_limit=10_000) is None
    assert wire.direct_writer(asyncio.Queue().put, buffer_limit=10_000) is None


def test_a_shared_frame_never_carries_an_internal_key() -> None:
    """The hub encodes one frame for every socket: a held message's skip carries its sender
    and message for the consumers, and the bytes written are a plain skip's."""
    plain = {"type": "skip", "conversation": 12, "seq": 47}
    held = plain | {"_held_by": 7, "_message": 99}
    assert wire.Frame.shared(held, json.dumps(held)).text == json.dumps(plain)
    assert wire.Frame.shared(held).data == wire.Frame.of(plain).data
    assert wire.Frame.shared(plain, json.dumps(plain)).text == json.dumps(plain)
