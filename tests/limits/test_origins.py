"""Only this site's own pages may open a socket: the Origin must be the origin the handshake was
sent to (scheme, host and port), or one of CSRF_TRUSTED_ORIGINS; in production over https://.

A page on another port of the same host is same-site for the browser (it sends our Lax session
cookie) but another origin, and must be refused."""

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from pytest_django.fixtures import Settings
from websockets.exceptions import InvalidStatus

from accounts.models import User
from schoolchat.origins import origin_validator
from tests.fault.chat_client import Endpoint, open_socket, session_cookie
from tests.live import daphne_servers

# A refused socket is answered by Channels' denier consumer, which closes stale database
# connections first: on PostgreSQL that touches the test database.
pytestmark = pytest.mark.django_db


async def accepting_app(scope: dict[str, Any], receive: Callable[[], Awaitable[object]],
                        send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    await receive()
    await send({"type": "websocket.accept"})


async def opens(origin: bytes | None, host: bytes = b"school.example",
                scheme: str = "ws") -> bool:
    headers = [(b"host", host)] + ([(b"origin", origin)] if origin else [])
    communicator = WebsocketCommunicator(origin_validator(accepting_app), "/ws/",
                                         headers=headers)
    communicator.scope["scheme"] = scheme
    connected, _code = await communicator.connect()
    await communicator.disconnect()
    return bool(connected)


@pytest.fixture
def production(settings: Settings) -> None:
    settings.PRODUCTION = True
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["school.example", ".trust.example", "127.0.0.1"]
    settings.CSRF_TRUSTED_ORIGINS = []


@pytest.fixture
def development(settings: Settings) -> None:
    settings.PRODUCTION = False
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    settings.CSRF_TRUSTED_ORIGINS = []


async def test_production_accepts_only_its_own_https_origin(production: None) -> None:
    assert await opens(b"https://school.example")
    assert await opens(b"https://school.example:443")
    assert await opens(b"https://a.trust.example", host=b"a.trust.example")
    assert not await opens(b"http://school.example")
    assert not await opens(b"http://school.example:443")
    assert not await opens(b"https://evil.example")
    assert not await opens(b"null")
    assert not await opens(None)
    # Another of the installation's host names is another origin, as for a form.
    assert not await opens(b"https://a.trust.example")
    # A handshake sent to a host that is not ours is refused whatever its Origin says.
    assert not await opens(b"https://evil.example", host=b"evil.example")


async def test_production_refuses_another_port_of_the_same_host(production: None) -> None:
    assert await opens(b"https://127.0.0.1:8243", host=b"127.0.0.1:8243")
    assert not await opens(b"https://127.0.0.1:4444", host=b"127.0.0.1:8243")
    assert not await opens(b"https://127.0.0.1", host=b"127.0.0.1:8243")
    assert not await opens(b"https://school.example:8443")
    assert not await opens(b"https://school.example:4444", host=b"school.example:8443")


async def test_a_proxy_that_drops_the_port_needs_the_public_origin_trusted(
        production: None, settings: Settings) -> None:
    # nginx passes "Host: school.example" for a site it serves on :8243.
    assert not await opens(b"https://school.example:8243")
    settings.CSRF_TRUSTED_ORIGINS = ["https://school.example:8243", "https://*.trust.example"]
    assert await opens(b"https://school.example:8243")
    assert await opens(b"https://a.trust.example")
    assert not await opens(b"https://school.example:4444")
    assert not await opens(b"http://school.example:8243")
    assert not await opens(b"https://a.trust.example:8443")


async def test_development_accepts_its_own_origin_only(development: None) -> None:
    assert await opens(b"http://localhost:8000", host=b"localhost:8000")
    assert await opens(b"http://127.0.0.1:8243", host=b"127.0.0.1:8243")
    assert await opens(b"https://127.0.0.1:8243", host=b"127.0.0.1:8243", scheme="wss")
    assert not await opens(b"http://evil.example", host=b"localhost:8000")
    assert not await opens(b"http://127.0.0.1:4444", host=b"127.0.0.1:8243")
    assert not await opens(b"http://localhost:4444", host=b"localhost:8000")
    assert not await opens(b"http://localhost", host=b"localhost:8000")
    assert not await opens(b"https://127.0.0.1:8243", host=b"127.0.0.1:8243")
    assert not await opens(b"http://localhost:8000", host=b"evil.example:8000")


@pytest.mark.django_db(transaction=True)
def test_a_real_server_refuses_a_signed_in_socket_from_another_port(parent: User,
                                                                    tmp_path: Path) -> None:
    """Through daphne serving the application as deployed: the session cookie alone (which the
    browser sends from any port of the host) does not open a socket from another port."""
    session = session_cookie(parent)
    with daphne_servers(1, tmp_path) as (server,):
        own = Endpoint.direct(server.port)
        other_port = Endpoint(own.url, f"http://127.0.0.1:{server.port + 1}")

        async def attempt(endpoint: Endpoint) -> int | None:
            try:
                socket, _hello = await open_socket(endpoint, session)
            except InvalidStatus as refused:
                return refused.response.status_code
            await socket.close()
            return None

        assert asyncio.run(attempt(other_port)) == 403
        assert asyncio.run(attempt(own)) is None
