"""Request body limits: how much of one request the server will read.

Every route has an allowance (:func:`body_allowance`): an attachment upload may carry the
attachment limit plus its multipart framing, the roster upload the roster limit, everything else
``SCHOOLCHAT_REQUEST_MAX_BYTES``. A larger body is answered ``413`` (:func:`too_large`) as early
as the layer in question can tell:

- ``schoolchat.server``, the daphne entry point every deployment runs, refuses from the
  ``Content-Length`` header before reading any of the body, and counts a chunked body as it
  arrives. It has to: Twisted stores a whole body before the application is called, and parses a
  form body into memory itself (about ten times its size) even though Django never uses that.
- :class:`BodyLimitMiddleware` wraps the ASGI application and does the same for any other ASGI
  server; behind ``schoolchat.server`` it never sees a body over its allowance.

Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` and ``FILE_UPLOAD_MAX_MEMORY_SIZE`` (settings) then keep
what it reads of an allowed body on disk rather than in memory.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.http.cookie import parse_cookie
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

# Multipart framing around an uploaded file: boundaries, part headers and the small fields
# (pupil tags, "no pupils") sent with it.
MULTIPART_OVERHEAD = 64 * 1024

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]


def _route(path: str) -> str:
    try:
        return str(resolve(path).view_name)
    except Resolver404:
        return ""


def _file_limit(route: str) -> int | None:
    """The size limit of the file a route takes, or None for routes that take no file."""
    if route == "messaging:upload":
        return int(settings.SCHOOLCHAT_ATTACHMENT_MAX_BYTES)
    if route in ("accounts:school_roster", "api:roster_imports"):
        return int(settings.SCHOOLCHAT_ROSTER_MAX_BYTES)
    return None


def body_allowance(path: str) -> int:
    """The most bytes of request body the route at ``path`` may be sent."""
    file_limit = _file_limit(_route(path))
    if file_limit is None:
        return int(settings.SCHOOLCHAT_REQUEST_MAX_BYTES)
    return file_limit + MULTIPART_OVERHEAD


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes:
    return next((value for key, value in headers if key.lower() == name), b"")


def _language(headers: list[tuple[bytes, bytes]]) -> str:
    """The language LocaleMiddleware would choose: the language cookie, else Accept-Language."""
    request = HttpRequest()
    request.COOKIES = parse_cookie(_header(headers, b"cookie").decode("latin-1"))
    accept = _header(headers, b"accept-language").decode("latin-1")
    if accept:
        request.META["HTTP_ACCEPT_LANGUAGE"] = accept
    return translation.get_language_from_request(request)


def _megabytes(n: int) -> str:
    return str(number_format(n / (1024 * 1024), 1))


def too_large(path: str, headers: Iterable[tuple[bytes, bytes]]
              ) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The 413 answer for ``path``: (headers, body), in the client's language.

    JSON for the attachment upload (the chat page's script shows its ``error``) and for
    clients asking for JSON; a small page otherwise.
    """
    headers = list(headers)
    route = _route(path)
    file_limit = _file_limit(route)
    language = _language(headers)
    with translation.override(language):
        if file_limit is not None:
            message = _("This file is too large: the limit is %(limit)s MB.") % {
                "limit": _megabytes(file_limit)}
        else:
            message = _("This request is too large: the limit is %(limit)s MB.") % {
                "limit": _megabytes(int(settings.SCHOOLCHAT_REQUEST_MAX_BYTES))}
        if route == "messaging:upload" or b"application/json" in _header(headers, b"accept"):
            content_type = b"application/json"
            body = json.dumps({"error": message, "code": "too_large"}).encode()
        else:
            content_type = b"text/html; charset=utf-8"
            title = _("Too large")
            body = format_html(
                '<!doctype html><html lang="{}"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                "<title>{}</title></head><body><h1>{}</h1><p>{}</p>"
                '<p><a href="/">{}</a></p></body></html>',
                language, title, title, message, _("Back to Schoolchat"),
            ).encode()
    return [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        (b"x-content-type-options", b"nosniff"),
        (b"content-security-policy", b"default-src 'none'"),
        # The rest of the body is not read: the connection cannot be reused.
        (b"connection", b"close"),
    ], body


class BodyLimitMiddleware:
    """ASGI middleware: refuse a request body over its route's allowance with 413.

    A declared length over the allowance is refused before the body is read; a body that grows
    past it is cut off (the application sees a disconnect, as if the client had gone) and
    refused.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, headers = scope["path"], list(scope.get("headers", []))
        allowance = body_allowance(path)
        declared = _header(headers, b"content-length")
        if declared.isdigit() and int(declared) > allowance:
            await self._refuse(send, path, headers)
            return
        received = 0
        exceeded = started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > allowance:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited_receive, tracking_send)
        if exceeded and not started:
            await self._refuse(send, path, headers)

    @staticmethod
    async def _refuse(send: Send, path: str, headers: list[tuple[bytes, bytes]]) -> None:
        response_headers, body = too_large(path, headers)
        await send({"type": "http.response.start", "status": 413, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})
