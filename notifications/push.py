"""Sending one encrypted notification to one device's push service (RFC 8030, 8291, 8292).

pywebpush encrypts the payload (aes128gcm) for the device's keys and posts it. Two things are
kept per push-service origin, for the life of the worker process: a ``requests.Session`` (its
connection pool, so a burst of pushes to one service reuses a few TLS connections) and the
signed VAPID header, which is valid for ``TOKEN_SECONDS`` and reused until ``TOKEN_MARGIN``
before it expires instead of being signed again for every push.

Two checks stand before every request, not only when the browser subscribed: the endpoint must
still be on ``SCHOOLCHAT_PUSH_SERVICES`` (a list narrowed since stops the pushes to what it no
longer names), and the request follows no redirect (a push service's ``3xx`` is its answer; a
``Location`` elsewhere would otherwise take the payload to a host nobody allowed).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from pywebpush import WebPusher
from requests.adapters import HTTPAdapter

from notifications import vapid
from notifications.endpoints import allowed, origin
from notifications.models import Device

TOKEN_SECONDS = 12 * 3600  # RFC 8292 allows at most 24 hours
TOKEN_MARGIN = 3600
POOL_SIZE = 10  # connections kept open per push service
TIMEOUT = 10  # seconds


class NotAllowed(Exception):
    """The device's push service is not (any more) on ``SCHOOLCHAT_PUSH_SERVICES``."""


class _NoRedirects(requests.Session):
    """A session that never follows a redirect: the ``3xx`` is the answer."""

    max_redirects = 0  # should anything ask for redirects all the same, none is followed

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["allow_redirects"] = False
        return super().request(*args, **kwargs)


@dataclass
class _Origin:
    session: requests.Session
    authorization: str = ""
    expires: float = 0.0


_origins: dict[str, _Origin] = {}
_lock = threading.Lock()


def _for(audience: str) -> _Origin:
    with _lock:
        entry = _origins.get(audience)
        if entry is None:
            session = _NoRedirects()
            session.mount(audience, HTTPAdapter(pool_connections=1, pool_maxsize=POOL_SIZE))
            entry = _origins[audience] = _Origin(session=session)
        if entry.expires - TOKEN_MARGIN <= time.time():
            expires = int(time.time()) + TOKEN_SECONDS
            headers = vapid.server_key().sign(
                {"aud": audience, "sub": settings.SCHOOLCHAT_VAPID_SUBJECT, "exp": expires})
            entry.authorization, entry.expires = headers["Authorization"], float(expires)
        return entry


def reset() -> None:
    """Forget the sessions and tokens (a new key, or a test)."""
    with _lock:
        for entry in _origins.values():
            entry.session.close()
        _origins.clear()


@dataclass(frozen=True)
class Answer:
    status: int
    retry_after: int | None = None
    location: str = ""  # where a 3xx pointed (logged, never followed)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def redirect(self) -> bool:
        return 300 <= self.status < 400


def send(device: Device, payload: bytes, *, urgency: str, topic: str,
         ttl: int | None = None) -> Answer:
    """Post ``payload`` to the device; the push service's status (and Retry-After, or where a
    redirect pointed). Raises :class:`NotAllowed` for an endpoint the allow-list no longer
    names, before anything is encrypted or sent."""
    if not allowed(device.endpoint):
        raise NotAllowed(device.endpoint)
    audience = origin(device.endpoint)
    entry = _for(audience)
    pusher = WebPusher(
        {"endpoint": device.endpoint, "keys": {"p256dh": device.p256dh, "auth": device.auth}},
        requests_session=entry.session)
    response = pusher.send(
        payload, headers={"Authorization": entry.authorization, "Urgency": urgency,
                          "Topic": topic},
        ttl=ttl if ttl is not None else settings.SCHOOLCHAT_PUSH_TTL,
        content_encoding="aes128gcm", timeout=TIMEOUT)
    assert isinstance(response, requests.Response)
    retry_after = response.headers.get("Retry-After", "")
    return Answer(response.status_code, int(retry_after) if retry_after.isdigit() else None,
                  response.headers.get("Location", "")[:200])
