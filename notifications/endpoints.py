"""Which push services a subscription may point at.

The server POSTs to whatever endpoint a browser registered, so an endpoint is checked against
``SCHOOLCHAT_PUSH_SERVICES`` (the browsers' push services by default): otherwise anyone signed
in could make the server send requests into the school's own network.
Each entry is ``scheme://host[:port]``; a host starting with ``*.`` matches its subdomains.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings


def origin(endpoint: str) -> str:
    """``scheme://host[:port]`` of an endpoint: the VAPID audience and the connection's key."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def _matches(allowed: str, scheme: str, host: str, port: int | None) -> bool:
    want = urlsplit(allowed)
    if want.scheme != scheme or (want.port or None) != port:
        return False
    pattern = (want.hostname or "").lower()
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return host == pattern


def allowed(endpoint: str) -> bool:
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password:
        return False
    return any(_matches(entry, parts.scheme, host, port)
               for entry in settings.SCHOOLCHAT_PUSH_SERVICES)
