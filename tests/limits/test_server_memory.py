"""What one client's big request costs a real server process: nothing beyond its allowance.

A real web server process (the entry point `make web` runs) serves the test database; the
test reads the process's resident memory from /proc while an anonymous client posts 100 MB to
the login page and a logged-in parent uploads 200 MB as an attachment. The bodies are streamed
from generators, so the test itself holds none of them. Both are refused with 413, nothing is
stored, and the server grows by less than 50 MB.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from accounts.models import User
from messaging.models import Attachment, Conversation
from tests.live import Server, daphne_servers

MB = 1024 * 1024
CSRF = "k" * 32  # any well-formed token: cookie and header only have to match
pytestmark = [pytest.mark.memory, pytest.mark.django_db(transaction=True)]


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+)", status)
    assert match is not None
    return int(match.group(1)) / 1024


@contextlib.contextmanager
def peak_rss(pid: int) -> Iterator[list[float]]:
    """Samples the process's RSS every 10 ms while the block runs; yields [peak]."""
    peak = [rss_mb(pid)]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()


def stream(total: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    block = b"a" * chunk
    for start in range(0, total, chunk):
        yield block[: min(chunk, total - start)]


def post(port: int, path: str, parts: Iterator[bytes], length: int | None,
         headers: dict[str, str]) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.putrequest("POST", path)
        for name, value in headers.items():
            connection.putheader(name, value)
        if length is None:
            connection.putheader("Transfer-Encoding", "chunked")
        else:
            connection.putheader("Content-Length", str(length))
        connection.endheaders()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for part in parts:
                connection.send(b"%x\r\n%s\r\n" % (len(part), part) if length is None else part)
            if length is None:
                connection.send(b"0\r\n\r\n")
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def multipart(file_size: int) -> tuple[list[bytes], int, str]:
    boundary = "schoolchatboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"big.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return [head, tail], len(head) + file_size + len(tail), boundary


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    media = tmp_path / "media"
    media.mkdir()
    with daphne_servers(1, tmp_path, {"MEDIA_ROOT": str(media)}) as servers:
        yield servers[0], media


def warm_up(port: int, cookie: str = "") -> None:
    """A few ordinary requests first, so the baseline includes what any request loads."""
    for _ in range(3):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/login/", headers={"Cookie": cookie} if cookie else {})
        connection.getresponse().read()
        connection.close()
        post(port, "/login/", iter([b"username=x&password=y"]), 21,
             {"Content-Type": "application/x-www-form-urlencoded"})


def test_a_100_mb_anonymous_post_and_a_200_mb_upload_cost_the_server_nothing(
        server: tuple[Server, Path], client: Client, parent: User,
        conversation_4b: Conversation) -> None:
    daphne, media = server
    assert daphne.process is not None
    pid = daphne.process.pid
    client.force_login(parent)
    cookie = f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF}"
    sessions = Session.objects.count()
    warm_up(daphne.port, cookie)
    baseline = rss_mb(pid)

    with peak_rss(pid) as peak:
        status, body = post(daphne.port, "/login/", stream(100 * MB), 100 * MB,
                            {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413, body[:300]
    assert b"This request is too large" in body
    assert peak[0] - baseline < 50, f"login: {baseline:.0f} MB -> peak {peak[0]:.0f} MB"

    (head, tail), length, boundary = multipart(200 * MB)
    parts = iter([head, *stream(200 * MB), tail])
    with peak_rss(pid) as peak:
        status, body = post(
            daphne.port, f"/c/{conversation_4b.pk}/attachments", parts, length,
            {"Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": cookie,
             "X-CSRFToken": CSRF})
    assert status == 413, body[:300]
    assert b'"code": "too_large"' in body
    assert peak[0] - baseline < 50, f"upload: {baseline:.0f} MB -> peak {peak[0]:.0f} MB"

    assert not Attachment.objects.exists()
    assert not any(media.rglob("*")), "a file was stored"
    assert Session.objects.count() == sessions


def test_a_chunked_body_is_refused_once_it_passes_the_allowance(server: tuple[Server, Path]) -> None:
    daphne, _media = server
    status, body = post(daphne.port, "/login/", stream(20 * MB), None,
                        {"Content-Type": "application/x-www-form-urlencoded",
                         "Accept-Language": "nl"})
    assert status == 413
    assert b"Dit verzoek is te groot: de limiet is 1,0 MB." in body


def test_an_upload_within_the_attachment_limit_still_goes_through(
        server: tuple[Server, Path], client: Client, parent: User,
        conversation_4b: Conversation) -> None:
    daphne, media = server
    client.force_login(parent)
    cookie = f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF}"
    (head, tail), length, boundary = multipart(3 * MB)  # over the 1 MB of other routes
    status, body = post(
        daphne.port, f"/c/{conversation_4b.pk}/attachments",
        iter([head, *stream(3 * MB), tail]), length,
        {"Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": cookie,
         "X-CSRFToken": CSRF})
    assert status == 201, body[:300]
    assert Attachment.objects.get().size == 3 * MB + len(b"%PDF-")
    assert any(media.rglob("*.pdf"))
