"""Which pages may open a websocket: the Origin check in front of the chat consumer.

The browser sends the session cookie with a websocket handshake whatever page opens it, and a
``SameSite=Lax`` cookie counts as same-site across the ports of one host: a page served on
another port of the school's server (another service, a forgotten test server) is same-site
but not same-origin. So a socket is opened only from this site's own origin, compared in full
(scheme, host and port; 80 and 443 when the Origin names none):

- the origin the handshake was sent to: the ``Host`` header (a host in ``ALLOWED_HOSTS``) with
  its port, and the scheme of the socket (``wss`` is https; in production always https, since
  the TLS proxy in front speaks plain HTTP to daphne); or
- one of ``CSRF_TRUSTED_ORIGINS``, for a proxy that does not pass the public port on.

That is the rule Django applies to a form's Origin, so a page that may post a form may open a
socket and no other may. In production the Origin must also be https://: without that, a page
served over plain HTTP on one of our host names (injected by anyone on the network before HSTS
applies) could open a socket as the user.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int


def parse_origin(value: str) -> Origin | None:
    """``scheme://host[:port]`` as a browser sends it; None for anything else ("null", a path,
    another scheme, a port that is not a number)."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.path or parts.query:
        return None
    return Origin(scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme])


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    """The header's value; None when it is missing, repeated or not Latin-1."""
    values = [value for key, value in scope.get("headers", []) if key.lower() == name]
    if len(values) != 1:
        return None
    try:
        return bytes(values[0]).decode("latin1")
    except UnicodeDecodeError:
        return None


def _allowed_hosts() -> list[str]:
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = [".localhost", "127.0.0.1", "[::1]"]  # as Django's own host check
    return hosts


def own_origin(scope: dict[str, Any]) -> Origin | None:
    """The origin the handshake was sent to; None when its Host is not one of ours."""
    host = _header(scope, b"host")
    if host is None:
        return None
    domain, port = split_domain_port(host)
    if not domain or not validate_host(domain, _allowed_hosts()):
        return None
    secure = settings.PRODUCTION or scope.get("scheme") == "wss"
    scheme = "https" if secure else "http"
    try:
        number = int(port) if port else DEFAULT_PORTS[scheme]
    except ValueError:
        return None
    return Origin(scheme, domain.strip("[]"), number)


def _trusted(origin: Origin, entries: Iterable[str]) -> bool:
    """One of CSRF_TRUSTED_ORIGINS (``https://*.example.org`` for every subdomain)."""
    for entry in entries:
        wildcard = "://*." in entry
        trusted = parse_origin(entry.replace("://*.", "://", 1))
        if trusted is None or (trusted.scheme, trusted.port) != (origin.scheme, origin.port):
            continue
        if origin.host == trusted.host or (wildcard and is_same_domain(origin.host,
                                                                       "." + trusted.host)):
            return True
    return False


def allowed(scope: dict[str, Any]) -> bool:
    """May this handshake open a socket?"""
    raw = _header(scope, b"origin")
    origin = parse_origin(raw) if raw is not None else None
    own = own_origin(scope)
    if origin is None or own is None:
        return False
    if settings.PRODUCTION and origin.scheme != "https":
        return False
    return origin == own or _trusted(origin, settings.CSRF_TRUSTED_ORIGINS)


class SameOriginOnly:
    """ASGI middleware: a websocket from another origin is refused before the application
    sees it (Channels' denier: the handshake fails with 403)."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            raise ValueError("SameOriginOnly guards websockets only")
        if allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)


def origin_validator(application: Any) -> SameOriginOnly:
    return SameOriginOnly(application)
