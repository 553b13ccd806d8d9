"""In production only pages served over https:// from our own host names may open a socket."""

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from pytest_django.fixtures import Settings

from schoolchat.origins import origin_validator

# A refused socket is answered by Channels' denier consumer, which closes stale database
# connections first: on PostgreSQL that touches the test database.
pytestmark = pytest.mark.django_db


async def accepting_app(scope: dict[str, Any], receive: Callable[[], Awaitable[object]],
                        send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    await receive()
    await send({"type": "websocket.accept"})


async def opens(origin: bytes | None) -> bool:
    headers = [(b"host", b"school.example")] + ([(b"origin", origin)] if origin else [])
    communicator = WebsocketCommunicator(origin_validator(accepting_app), "/ws/",
                                         headers=headers)
    connected, _code = await communicator.connect()
    await communicator.disconnect()
    return connected


@pytest.fixture
def production(settings: Settings) -> None:
    settings.PRODUCTION = True
    settings.ALLOWED_HOSTS = ["school.example", ".trust.example"]


async def test_production_accepts_only_https_origins_of_allowed_hosts(production: None) -> None:
    assert await opens(b"https://school.example")
    assert await opens(b"https://school.example:8443")
    assert await opens(b"https://a.trust.example")
    assert not await opens(b"http://school.example")
    assert not await opens(b"http://school.example:443")
    assert not await opens(b"https://evil.example")
    assert not await opens(None)


async def test_development_still_accepts_its_own_http_origin(settings: Settings) -> None:
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    assert await opens(b"http://localhost:8000")
    assert not await opens(b"http://evil.example")
