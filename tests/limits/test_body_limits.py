"""Every route has a body allowance; over it the answer is 413, before the body is read.

These drive the ASGI application directly (the middleware that guards any ASGI server);
test_server_memory.py sends the same requests to a real server process.
"""

import asyncio
import json
from collections.abc import Iterable
from typing import Any

import pytest
from django.urls import reverse
from pytest_django.fixtures import Settings

from schoolchat import limits
from schoolchat.asgi import application

MB = 1024 * 1024


def scope(path: str, headers: Iterable[tuple[bytes, bytes]] = (), method: str = "POST") -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
            "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
            "query_string": b"", "headers": [(b"host", b"localhost"), *headers],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}


async def call(path: str, chunks: Iterable[bytes], headers: Iterable[tuple[bytes, bytes]] = (),
               ) -> tuple[int, dict[bytes, bytes], bytes, int]:
    """Run one request; answers (status, headers, body, how many body chunks were read)."""
    pending = list(chunks)
    read = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        if not pending:
            await asyncio.Event().wait()  # the client waits for the answer
        read += 1
        chunk = pending.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await application(scope(path, headers), receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body, read


def test_each_route_has_its_allowance(settings: Settings) -> None:
    upload = reverse("messaging:upload", args=[1])
    assert limits.body_allowance(upload) == (settings.SCHOOLCHAT_ATTACHMENT_MAX_BYTES
                                             + limits.MULTIPART_OVERHEAD)
    assert limits.body_allowance(reverse("accounts:school_roster")) == (
        settings.SCHOOLCHAT_ROSTER_MAX_BYTES + limits.MULTIPART_OVERHEAD)
    assert limits.body_allowance(reverse("login")) == settings.SCHOOLCHAT_REQUEST_MAX_BYTES == MB
    assert limits.body_allowance("/no/such/page") == MB
    # Django's own limits keep what it reads of an allowed body small in memory.
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == MB
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 256 * 1024


async def test_a_declared_length_over_the_allowance_is_refused_before_reading() -> None:
    status, headers, body, read = await call(
        "/login/", [b"x" * 1024], [(b"content-length", str(2 * MB).encode()),
                                   (b"content-type", b"application/x-www-form-urlencoded")])
    assert status == 413
    assert read == 0, "the body was read"
    assert headers[b"content-type"].startswith(b"text/html")
    assert b"This request is too large: the limit is 1.0 MB." in body


async def test_a_streamed_body_is_cut_off_once_it_passes_the_allowance() -> None:
    chunks = [b"a" * 65536] * 64  # 4 MB with no Content-Length (chunked)
    status, _headers, body, read = await call(
        "/login/", chunks, [(b"content-type", b"application/x-www-form-urlencoded")])
    assert status == 413
    assert read <= MB // 65536 + 1, f"{read} chunks read for a 1 MB allowance"
    assert b"too large" in body


@pytest.mark.django_db
async def test_a_body_within_the_allowance_reaches_the_view() -> None:
    status, _headers, _body, _read = await call(
        "/login/", [b"username=a&password=b"],
        [(b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", b"21")])
    assert status == 403  # the CSRF check of the login view, not the size limit


async def test_the_upload_refusal_is_json_in_the_users_language() -> None:
    status, headers, body, _read = await call(
        reverse("messaging:upload", args=[1]), [],
        [(b"content-length", str(50 * MB).encode()), (b"accept-language", b"nl,en;q=0.5"),
         (b"content-type", b"multipart/form-data; boundary=x")])
    assert status == 413
    assert headers[b"content-type"] == b"application/json"
    answer = json.loads(body)
    assert answer["code"] == "too_large"
    assert answer["error"] == "Dit bestand is te groot: de limiet is 10,0 MB."


async def test_the_language_cookie_wins_over_the_browser_language() -> None:
    _status, _headers, body, _read = await call(
        "/login/", [], [(b"content-length", str(5 * MB).encode()),
                        (b"accept-language", b"nl"), (b"cookie", b"django_language=ru")])
    assert "Этот запрос слишком большой: предел — 1,0 МБ.".encode() in body
