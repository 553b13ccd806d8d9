"""The web server: daphne, with request bodies bounded before they are read.

Run as ``python -m schoolchat.server`` with daphne's own arguments (``make web``, ``make serve``,
docker-compose and the test servers all do). It differs from ``python -m daphne`` only in its
request class:

- a body over its route's allowance (``schoolchat.limits.body_allowance``) is answered 413 as
  soon as its ``Content-Length`` header arrives, or as soon as a chunked body passes the
  allowance; the rest is read and dropped, never stored, so the client still gets the answer
  (a client that stops reading would otherwise see a reset), for at most ``LINGER_SECONDS``;
- Twisted's own parsing of form bodies into ``request.args`` is off. daphne never looks at it,
  and it reads the whole body into memory and copies it several times (a 50 MB multipart
  upload cost 450 MB there).
"""

from __future__ import annotations

# daphne.server installs the asyncio reactor, so it comes before anything imports Twisted's.
from daphne.server import Server as DaphneServer  # isort:skip

import io
import logging
import sys
from typing import Any, cast
from urllib.parse import unquote

from daphne.cli import CommandLineInterface as DaphneCommandLine
from daphne.http_protocol import HTTPFactory, WebRequest
from twisted.internet import reactor

from schoolchat import limits

LINGER_SECONDS = 10
logger = logging.getLogger(__name__)


class LimitedRequest(WebRequest):
    _allowance = 0
    _received = 0
    _refused = False
    _linger: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Twisted's form parsing: Django parses the body itself. Set on the instance, since
        # Twisted's own __init__ sets it there (a class attribute would be overridden, and a
        # malformed multipart body then answered by Twisted with a bare 400).
        self._parsePOSTFormSubmission = False

    def gotLength(self, length: int | None) -> None:
        # The request learns its path only once the body is in; the channel has the request
        # line already.
        target = bytes(getattr(self.channel, "_path", b"") or b"")
        self._target = unquote(target.split(b"?", 1)[0].decode("ascii", "replace"))
        self._allowance = limits.body_allowance(self._target)
        if length is not None and length > self._allowance:
            self.content = io.BytesIO()
            # No "100 Continue": a client that asked first need not send the body at all.
            self.requestHeaders.removeHeader(b"Expect")
            self._refuse()
            return
        super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:
        if self._refused:
            return
        self._received += len(data)
        if self._received > self._allowance:
            self._refuse()
            return
        super().handleContentChunk(data)

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        if self._refused:
            # The whole body has been read (and dropped): the answer is out, close.
            self.channel.transport.loseConnection()
            return
        super().requestReceived(command, path, version)

    def connectionLost(self, reason: Any) -> None:
        if self._linger is not None and self._linger.active():
            self._linger.cancel()
        super().connectionLost(reason)

    def _refuse(self) -> None:
        self._refused = True
        logger.warning("413 %s: body over its allowance of %d bytes", self._target, self._allowance)
        headers, body = limits.too_large(
            self._target,
            [(name.lower(), value) for name, values in self.requestHeaders.getAllRawHeaders()
             for value in values])
        head = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        transport = self.channel.transport
        transport.write(b"HTTP/1.1 413 Content Too Large\r\n" + head + b"\r\n" + body)
        self._linger = cast(Any, reactor).callLater(LINGER_SECONDS, transport.abortConnection)


class LimitedHTTPFactory(HTTPFactory):
    def buildProtocol(self, addr: Any) -> Any:
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = LimitedRequest
        return protocol


class Server(DaphneServer):
    """daphne's server with :class:`LimitedHTTPFactory` in place of its HTTP factory."""

    # daphne's run() builds its HTTPFactory and then listens with it; this property hands it
    # ours instead, so the rest of run() stays daphne's own.
    @property
    def http_factory(self) -> HTTPFactory:
        return self._limited_http_factory

    @http_factory.setter
    def http_factory(self, factory: HTTPFactory) -> None:
        self._limited_http_factory = LimitedHTTPFactory(self)


class CommandLineInterface(DaphneCommandLine):
    server_class = Server


def main() -> None:
    CommandLineInterface().run(sys.argv[1:])


if __name__ == "__main__":
    main()
